/**
 * The spawner's half of a session's liveness check (the agent runs the other half): a heartbeat frame every
 * `intervalMs`, and the session declared lost after `timeoutMs` without a byte from the agent — what tells a
 * network loss apart from a quiet agent, since ssh itself may wait for minutes before giving up on a dead link.
 *
 * As in @cohort/rpc's heartbeat (not exported from there): a silence found by a timer is re-checked from
 * `setImmediate`, after the poll phase, so a spawner whose own event loop was blocked reads what arrived meanwhile
 * before it concludes anything.
 */
export class SessionHeartbeat {
  private lastReceived = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private recheck: NodeJS.Immediate | undefined;

  constructor(
    private readonly settings: { readonly intervalMs: number; readonly timeoutMs: number },
    private readonly send: () => void,
    private readonly onSilence: (silentMs: number) => void,
  ) {}

  start(): void {
    this.lastReceived = performance.now();
    const { intervalMs, timeoutMs } = this.settings;
    // Unref'd: the session's child process is what keeps the program alive while workers run.
    this.timers.push(setInterval(this.send, intervalMs).unref());
    const checkEveryMs = Math.max(10, Math.min(intervalMs, Math.floor(timeoutMs / 10)));
    this.timers.push(setInterval(() => this.check(), checkEveryMs).unref());
  }

  received(): void {
    this.lastReceived = performance.now();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    if (this.recheck !== undefined) clearImmediate(this.recheck);
  }

  private check(): void {
    const silentMs = (): number => performance.now() - this.lastReceived;
    if (this.recheck !== undefined || silentMs() < this.settings.timeoutMs) return;
    this.recheck = setImmediate(() => {
      this.recheck = undefined;
      const silent = silentMs();
      if (silent >= this.settings.timeoutMs) this.onSilence(Math.round(silent));
    });
  }
}
