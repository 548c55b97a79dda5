import type { LaunchedProcess } from '../host/host.js';

/**
 * Worker processes launched ahead of time (`startApp({ spareWorkers })`): each has run the entry script up to
 * `startApp()` and waits for a bootstrap, so a spawn with default process options takes one instead of paying
 * Node's start-up and the program's imports. Spares never keep the program alive, and exit with it.
 */
export class SparePool {
  private readonly ready: LaunchedProcess[] = [];
  private launching = 0;
  private closed = false;
  /**
   * What a spare inherited from the spawner when it was launched: its working directory, arguments and environment.
   * A spawn's defaults are the spawner's *current* ones, so a spare launched before they changed must not serve it.
   */
  private context = launchContext();

  constructor(
    private readonly size: number,
    private readonly launch: () => Promise<LaunchedProcess>,
  ) {
    this.refill();
  }

  /** Stops making spares and ends the ones waiting (a pool that keeps its own closes them with it). */
  close(): void {
    this.closed = true;
    for (const spare of this.ready.splice(0)) {
      void spare.exited.then(() => spare.release());
      spare.kill('SIGKILL');
    }
  }

  /** A spare, if one is ready; a replacement starts at once. */
  take(): LaunchedProcess | undefined {
    const now = launchContext();
    if (now !== this.context) {
      for (const stale of this.ready.splice(0)) stale.kill('SIGKILL');
      this.context = now;
      this.refill();
      return undefined;
    }
    const spare = this.ready.shift();
    spare?.hold?.(true);
    this.refill();
    return spare;
  }

  private refill(): void {
    while (!this.closed && this.ready.length + this.launching < this.size) {
      this.launching++;
      const launchedIn = this.context;
      this.launch().then(
        (spare) => {
          this.launching--;
          if (launchedIn !== this.context || this.closed) {
            void spare.exited.then(() => spare.release());
            spare.kill('SIGKILL');
            this.refill();
            return;
          }
          spare.hold?.(false);
          this.ready.push(spare);
          void spare.exited.then(() => {
            spare.release();
            const index = this.ready.indexOf(spare);
            // A spare that dies while waiting (its top-level code threw?) would die again: stop making them.
            if (index !== -1) {
              this.ready.splice(index, 1);
              this.closed = true;
            }
          });
        },
        () => {
          // A spare that cannot start is no worse than none: spawns launch their own process.
          this.launching--;
          this.closed = true;
        },
      );
    }
  }
}

/** A few microseconds per spawn: cheaper than any spawn, and it catches every change a spare would miss. */
function launchContext(): string {
  return JSON.stringify([process.cwd(), process.argv, process.env]);
}
