/** A pending `onDelay` timer. */
export interface Timer {
  /** Cancels the timer; `run` no longer waits for it. */
  cancel(): void;
}

interface Entry {
  readonly deadline: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * The scheduler's timers: kept in deadline order and armed as a single `setTimeout` while `run` is running, so
 * they fire only in the scheduler's process, in deadline order (creation order for equal deadlines).
 */
export class TimerQueue {
  private entries: Entry[] = [];
  private seq = 0;
  private handle: NodeJS.Timeout | undefined;
  private armed = false;

  constructor(
    private readonly fire: (callback: () => void) => void,
    private readonly changed: () => void,
  ) {}

  get pending(): number {
    return this.entries.length;
  }

  add(delayMs: number, callback: () => void): Timer {
    const entry: Entry = { deadline: performance.now() + Math.max(0, delayMs), seq: this.seq++, callback };
    const at = this.entries.findIndex((e) => e.deadline > entry.deadline);
    if (at === -1) this.entries.push(entry);
    else this.entries.splice(at, 0, entry);
    this.rearm();
    return {
      cancel: () => {
        const index = this.entries.indexOf(entry);
        if (index === -1) return;
        this.entries.splice(index, 1);
        this.rearm();
        this.changed();
      },
    };
  }

  cancelAll(): void {
    this.entries = [];
    this.rearm();
    this.changed();
  }

  /** Timers fire only while armed (while `run` is running). */
  arm(on: boolean): void {
    this.armed = on;
    this.rearm();
  }

  private rearm(): void {
    clearTimeout(this.handle);
    this.handle = undefined;
    const first = this.entries[0];
    if (!this.armed || first === undefined) return;
    this.handle = setTimeout(() => this.fireDue(), Math.max(0, first.deadline - performance.now()));
  }

  private fireDue(): void {
    const now = performance.now();
    while (this.armed && this.entries[0] !== undefined && this.entries[0].deadline <= now) {
      const entry = this.entries.shift()!;
      this.fire(entry.callback);
    }
    this.rearm();
    this.changed();
  }
}
