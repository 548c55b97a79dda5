import type { AnyFunction } from '../parallel/functions.js';
import type { PoolMember } from './member.js';

/** One `pool.run`: queued, then on a worker, until it settles (for a stream: until the stream ends). */
export class PoolCall {
  /** In the queue (not yet on a worker, not settled). */
  queued = true;
  settled = false;
  member: PoolMember | undefined = undefined;
  startedAt = 0;
  timer: NodeJS.Timeout | undefined = undefined;
  removeAbortListener: (() => void) | undefined = undefined;

  constructor(
    readonly fn: AnyFunction,
    readonly arg: unknown,
    readonly timeoutMs: number | undefined,
    readonly signal: AbortSignal | undefined,
    public retriesLeft: number,
    readonly enqueuedAt: number,
    private readonly resolveCall: (value: unknown) => void,
    private readonly rejectCall: (error: unknown) => void,
  ) {}

  /** `<type>.<function>`, as errors name it. */
  get label(): string {
    return `${this.fn.workerType}.${this.fn.name}`;
  }

  resolve(value: unknown): void {
    if (this.#settle()) this.resolveCall(value);
  }

  reject(error: unknown): void {
    if (this.#settle()) this.rejectCall(error);
  }

  #settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.queued = false;
    clearTimeout(this.timer);
    this.removeAbortListener?.();
    return true;
  }
}
