import type { Host } from '../host/host.js';
import type { Worker } from '../parallel/worker.js';
import type { PoolCall } from './pool-call.js';

/**
 * One worker of a pool through its life: `starting` (being spawned), `ready` (takes calls), `retiring` (recycled or
 * idle: takes no new call, leaves once its calls are done), `stopping` (stopped for a timed-out or aborted call, or
 * the pool closing), `dead` (exited).
 */
export class PoolMember {
  state: 'starting' | 'ready' | 'retiring' | 'stopping' | 'dead' = 'starting';
  worker: Worker<string> | undefined = undefined;
  readonly running = new Set<PoolCall>();
  /** Calls it has finished (for `recycle.maxCalls`). */
  calls = 0;
  readyAt = 0;
  /** Whether a call sent now would reach its worker (see `reachability`). */
  reachable: () => boolean = () => true;
  /** A call it was running failed because it died (see the pool's start policy: such a death is that call's). */
  diedUnderCall = false;
  /** Why it was stopped, for the calls that die with it. */
  stopReason: string | undefined = undefined;
  idleTimer: NodeJS.Timeout | undefined = undefined;
  ageTimer: NodeJS.Timeout | undefined = undefined;
  usagePending = false;

  constructor(
    readonly name: string,
    /** Its place's host; `undefined`: the pool's `spawn.host`. */
    readonly host: Host | undefined,
  ) {}

  /** Takes new calls: ready, and not dead already (its connection closed, its exit not yet seen). */
  get available(): boolean {
    return this.state === 'ready' && this.reachable();
  }

  /** Counts toward the pool's size (a retiring or stopping worker is already being replaced). */
  get counted(): boolean {
    return this.state === 'starting' || this.state === 'ready';
  }

  clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.ageTimer);
    this.idleTimer = undefined;
    this.ageTimer = undefined;
  }
}
