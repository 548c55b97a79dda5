import { forTheCaller, type CallSite } from '@cohort/rpc/internal';
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
    /** Where the caller called `pool.run`, for a stream; `undefined`: `pool.run`'s promise finds its caller lazily. */
    readonly site: CallSite | undefined,
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

  /** `error` must be this call's own (it is placed at the call's caller), never one shared with other calls. */
  reject(error: unknown): void {
    if (this.#settle()) this.rejectCall(forTheCaller(error, this.site));
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
