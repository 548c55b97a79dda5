/**
 * Sends a heartbeat every `intervalMs` and reports the peer dead after `timeoutMs` of silence. Any received byte
 * counts as a sign of life, not only heartbeats.
 *
 * When the check finds the peer silent, it does not conclude at once: if our own event loop was blocked, the
 * peer's heartbeats may be waiting unread in the socket. `setImmediate` runs after the event loop's poll phase, so
 * the re-check happens only once whatever arrived meanwhile has been read.
 */
export class HeartbeatMonitor {
  private lastReceived = performance.now();
  private sendTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private recheck: NodeJS.Immediate | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly sendHeartbeat: () => void,
    private readonly onTimeout: (silentMs: number) => void,
  ) {}

  start(): void {
    this.lastReceived = performance.now();
    this.sendTimer = setInterval(this.sendHeartbeat, this.intervalMs).unref();
    const checkEveryMs = Math.max(10, Math.min(this.intervalMs, Math.floor(this.timeoutMs / 10)));
    this.checkTimer = setInterval(() => this.check(), checkEveryMs).unref();
  }

  /** Call for every chunk received from the peer. */
  received(): void {
    this.lastReceived = performance.now();
  }

  stop(): void {
    clearInterval(this.sendTimer);
    clearInterval(this.checkTimer);
    if (this.recheck !== undefined) clearImmediate(this.recheck);
  }

  private silentMs(): number {
    return performance.now() - this.lastReceived;
  }

  private check(): void {
    if (this.recheck !== undefined || this.silentMs() < this.timeoutMs) return;
    this.recheck = setImmediate(() => {
      this.recheck = undefined;
      const silent = this.silentMs();
      if (silent >= this.timeoutMs) this.onTimeout(silent);
    });
  }
}
