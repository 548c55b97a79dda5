import pDefer, { type DeferredPromise } from 'p-defer';
import { ProtocolViolation } from '../wire/messages.js';

/**
 * The producer's side of per-stream flow control: the bytes the consumer has allowed us to send. Spending may
 * overdraw by one batch (sizes are only known once encoded); the producer then waits for the next grant.
 */
export class CreditGate {
  private waiter: DeferredPromise<void> | undefined;

  constructor(private available: number) {}

  get open(): boolean {
    return this.available > 0;
  }

  spend(bytes: number): void {
    this.available -= bytes;
  }

  grant(bytes: number): void {
    this.available += bytes;
    if (this.available > 0 && this.waiter !== undefined) {
      this.waiter.resolve();
      this.waiter = undefined;
    }
  }

  /** Resolves when credit is available again, or at once on `release()`. */
  wait(): Promise<void> {
    if (this.available > 0) return Promise.resolve();
    this.waiter ??= pDefer<void>();
    return this.waiter.promise;
  }

  /** Wakes a waiting producer so it can notice its stream has ended. */
  release(): void {
    this.waiter?.resolve();
    this.waiter = undefined;
  }
}

/**
 * The consumer's side: counts the bytes of items the application has taken and hands them back to the producer
 * as credit once half a window has been consumed. Items still buffered are not returned, so the consumer holds at
 * most one window (plus one overdrawn batch) per stream.
 */
export class CreditReturner {
  private consumed = 0;
  private outstanding = 0;

  constructor(
    private readonly windowBytes: number,
    private readonly sendCredit: (bytes: number) => void,
  ) {}

  /**
   * A batch arrived. The producer may only send while it holds credit, so if a window's worth was already
   * outstanding the peer is ignoring flow control: refuse rather than buffer without bound.
   */
  receive(bytes: number): void {
    if (this.outstanding >= this.windowBytes) {
      throw new ProtocolViolation(`peer sent stream items beyond its ${this.windowBytes}-byte credit window`);
    }
    this.outstanding += bytes;
  }

  take(bytes: number): void {
    this.outstanding -= bytes;
    this.consumed += bytes;
    if (this.consumed >= this.windowBytes / 2) {
      const bytesBack = this.consumed;
      this.consumed = 0;
      this.sendCredit(bytesBack);
    }
  }
}
