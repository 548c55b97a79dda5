import { RpcError, type RpcStream, describeThrown, placedCall, type CallSite } from '@cohort/rpc/internal';
import { CohortError } from '../common/errors.js';
import type { AnyFunction } from '../parallel/functions.js';
import { requireApp } from '../app/app.js';
import { localHost } from '../host/local.js';
import { launchRequest } from '../parallel/launch.js';
import { SparePool } from '../parallel/spares.js';
import { spawnWorker } from '../parallel/spawn.js';
import type { AnyWorkerType } from '../parallel/type-registry.js';
import { exitOf, reachability, runOn, usageOf, type Worker } from '../parallel/worker.js';
import type { Runner } from '../parallel/worker-connection.js';
import { showProcessStatus, type ExitStatus } from '../process/exit-status.js';
import { CallQueue } from './call-queue.js';
import { PoolMember } from './member.js';
import { resolvePoolOptions, type PoolRunOptions, type ResolvedPoolOptions } from './options.js';
import { PoolCall } from './pool-call.js';
import { EARLY_DEATH_MS, StartPolicy, type StartDecision } from './start-policy.js';
import { DurationWindow, type PoolStats } from './stats.js';
import { onStreamEnd } from './stream-hold.js';

/** Options of `pool.close`. */
export interface PoolCloseOptions {
  /**
   * `true`: finish every queued and running call first. `false`: reject queued calls with `POOL_CLOSED` and kill
   * the workers (their running calls reject with `CONNECTION_CLOSED`).
   * @default true
   */
  drain?: boolean;
}

/**
 * A supervised pool of worker processes of one type: calls go to the least-loaded worker; a worker that dies is
 * replaced (its calls rejected with its exit status, or retried); a call that times out or is aborted stops its
 * worker for real; workers past a limit are recycled. Made by `Type.pool()`.
 */
export class Pool<N extends string> {
  readonly #type: AnyWorkerType;
  readonly #options: ResolvedPoolOptions;
  readonly #queue = new CallQueue<PoolCall>();
  readonly #members = new Set<PoolMember>();
  readonly #waits = new DurationWindow();
  readonly #runs = new DurationWindow();
  #state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  #failure: CohortError | undefined;
  readonly #starts = new StartPolicy();
  #nextMember = 0;
  #counters = { completed: 0, failed: 0, retried: 0, replaced: 0 };
  #idle: (() => void) | undefined;
  /** The next start after failed ones (see StartPolicy): it holds the process only while calls wait for it. */
  #retryTimer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;
  readonly #spares: SparePool | undefined;

  private constructor(type: AnyWorkerType, options: ResolvedPoolOptions) {
    this.#type = type;
    this.#options = options;
    if (options.spares > 0) {
      const app = requireApp(`${type.name}.pool()`);
      const request = launchRequest(app, `${options.name}-spare`, options.spawn);
      this.#spares = new SparePool(options.spares, () => localHost().launch(request));
    }
  }

  /** @hidden Use `Type.pool(options)`. */
  static async create<N extends string>(type: AnyWorkerType, options: unknown): Promise<Pool<N>> {
    const pool = new Pool<N>(type, resolvePoolOptions(options, type.name));
    await pool.#start();
    return pool;
  }

  /**
   * Runs `fn` on the least-loaded worker, with the typing of `worker.run`. Rejects with `QUEUE_FULL` at once when
   * `maxQueue` calls already wait, with `POOL_CLOSED` after `close()`, with `POOL_FAILED` once workers keep failing
   * to start. A stream stays on the worker it started on, and holds its place there until it ends.
   */
  readonly run: Runner<N, PoolRunOptions>['run'] = ((fn: AnyFunction<N>, arg: unknown, options?: PoolRunOptions) =>
    placedCall(fn.kind, this.run, (site) => this.#run(fn, arg, options, site))) as Runner<N, PoolRunOptions>['run'];

  /** A snapshot of the pool's workers, calls and latencies. */
  stats(): PoolStats {
    let busy = 0;
    let running = 0;
    let workers = 0;
    for (const member of this.#members) {
      if (member.state === 'dead') continue;
      workers++;
      if (member.running.size > 0) busy++;
      running += member.running.size;
    }
    return {
      workers,
      busy,
      queued: this.#queue.size,
      running,
      ...this.#counters,
      waitMs: this.#waits.percentiles(),
      runMs: this.#runs.percentiles(),
    };
  }

  /** Closes the pool; resolves once every worker has exited. */
  close(options: PoolCloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.drain ?? true);
    return this.#closed;
  }

  /** `await using pool = await Type.pool(…)` closes it (draining) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #start(): Promise<void> {
    const initial = Array.from({ length: this.#options.min }, (_, i) => this.#spawn(this.#options.places?.[i]));
    const outcomes = await Promise.allSettled(initial);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    // Not one worker of the first batch came up: the pool is unusable from the start; say why, leave nothing.
    if (failed !== undefined && outcomes.every((outcome) => outcome.status === 'rejected') && initial.length > 0) {
      await this.close({ drain: false });
      throw failed.reason;
    }
  }

  /** `site`: where the caller called `run`, for a stream (see `@cohort/rpc`'s call-site.ts); the call's errors point there. */
  #run(
    fn: AnyFunction,
    arg: unknown,
    options: PoolRunOptions | undefined,
    site: CallSite | undefined,
  ): Promise<unknown> {
    if (fn.workerType !== this.#type.name) {
      return Promise.reject(
        new CohortError(
          'WRONG_WORKER_TYPE',
          `${fn.workerType}.${fn.name} cannot run on a pool of type ${this.#type.name}`,
        ),
      );
    }
    if (this.#state === 'failed') return Promise.reject(this.#failedError());
    if (this.#state !== 'open')
      return Promise.reject(
        new CohortError('POOL_CLOSED', `${fn.workerType}.${fn.name}: the pool of ${this.#type.name} is closed`),
      );
    if (this.#queue.size >= this.#options.maxQueue && this.#freeSlot() === undefined) {
      return Promise.reject(
        new CohortError(
          'QUEUE_FULL',
          `${fn.workerType}.${fn.name}: ${this.#queue.size} calls already wait (maxQueue); retry later or raise maxQueue`,
        ),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(fn, signal));
    return new Promise((resolve, reject) => {
      const timeoutMs = options?.timeoutMs ?? this.#options.timeoutMs;
      const call = new PoolCall(
        fn,
        arg,
        timeoutMs,
        signal,
        options?.retries ?? this.#options.retries,
        performance.now(),
        site,
        resolve,
        reject,
      );
      if (timeoutMs !== undefined) call.timer = setTimeout(() => this.#timeOut(call), timeoutMs);
      if (signal !== undefined) {
        const onAbort = (): void => this.#abort(call);
        signal.addEventListener('abort', onAbort, { once: true });
        call.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(call);
      this.#pump();
    });
  }

  /** Gives queued calls to free workers, and grows the pool while calls still wait. */
  #pump(): void {
    while (this.#queue.size > 0) {
      const member = this.#freeSlot();
      if (member === undefined) break;
      this.#dispatch(member, this.#queue.shift()!);
    }
    this.#grow();
    this.#holdWhileWaiting();
    if (this.#queue.size === 0 && this.#runningCalls() === 0) this.#idle?.();
  }

  /**
   * Queued calls are work in progress: a script awaiting one must not end (exit code 13) while the pool waits out a
   * back-off with no worker process to hold the event loop; an idle pool holds nothing.
   */
  #holdWhileWaiting(): void {
    if (this.#queue.size > 0) this.#retryTimer?.ref();
    else this.#retryTimer?.unref();
  }

  /** The available worker with the fewest calls in flight, if one has room. */
  #freeSlot(): PoolMember | undefined {
    let best: PoolMember | undefined;
    for (const member of this.#members) {
      if (!member.available || member.running.size >= this.#roomOf(member)) continue;
      if (best === undefined || member.running.size < best.running.size) best = member;
    }
    return best;
  }

  /** Calls `member` may run at once: one while it has answered none and the start policy is probing. */
  #roomOf(member: PoolMember): number {
    return member.calls === 0 && this.#starts.probing ? 1 : this.#options.concurrency;
  }

  #grow(): void {
    // While closing with drain, the queued calls still need workers.
    if ((this.#state !== 'open' && this.#state !== 'closing') || !this.#starts.mayStart(performance.now())) return;
    let counted = 0;
    let startingRoom = 0;
    for (const member of this.#members) {
      if (!member.counted) continue;
      counted++;
      if (member.state === 'starting') startingRoom += this.#options.concurrency;
    }
    // Below min (a worker died, or was recycled), or calls waiting that the workers starting will not take.
    while (counted < this.#options.min || (this.#queue.size > startingRoom && counted < this.#options.max)) {
      void this.#spawn(this.#placeFor()).catch(() => undefined);
      counted++;
      startingRoom += this.#options.concurrency;
    }
  }

  /** With fixed hosts, the host of a place no counted worker holds; otherwise the pool's own host. */
  #placeFor(): PoolMember['host'] {
    const places = this.#options.places;
    if (places === undefined) return undefined;
    const taken = [...this.#members].filter((m) => m.counted).map((m) => m.host);
    const free = [...places];
    for (const host of taken) free.splice(free.indexOf(host), 1);
    return free[0] ?? places[0];
  }

  #runningCalls(): number {
    let running = 0;
    for (const member of this.#members) running += member.running.size;
    return running;
  }

  async #spawn(host: PoolMember['host']): Promise<void> {
    const member = new PoolMember(`${this.#options.name}-${this.#nextMember++}`, host);
    this.#members.add(member);
    const { spawn, init, connectionInit } = this.#options;
    let worker: Worker<string>;
    try {
      const options = { ...spawn, ...(host === undefined ? {} : { host }), init, connectionInit, name: member.name };
      worker = (await spawnWorker(this.#type, options, { takeSpare: () => this.#spares?.take() })) as Worker<string>;
    } catch (error) {
      this.#members.delete(member);
      if (this.#state === 'open' || this.#state === 'closing') this.#failedStart(error);
      this.#membersChanged?.();
      throw error;
    }
    member.worker = worker;
    member.reachable = reachability(worker);
    member.readyAt = performance.now();
    this.#starts.started();
    setTimeout(() => {
      if (member.state !== 'dead') this.#starts.proven();
    }, EARLY_DEATH_MS).unref();
    void exitOf(worker).then((status) => this.#onExit(member, status));
    if (this.#state === 'closed' || this.#state === 'failed') {
      member.state = 'stopping';
      worker.kill('SIGKILL');
      this.#membersChanged?.();
      return;
    }
    member.state = 'ready';
    const { maxAgeMs } = this.#options.recycle;
    if (maxAgeMs !== undefined) member.ageTimer = setTimeout(() => this.#retire(member), maxAgeMs).unref();
    this.#pump();
    this.#armIdle(member);
  }

  /** A worker could not start, or exited by itself right after: see StartPolicy. */
  #failedStart(error: unknown): void {
    const killed = error instanceof CohortError && error.exitStatus?.signal != null;
    this.#decided(this.#starts.failed(killed, performance.now()), error);
  }

  /** Carries out the start policy's decision after `error`: start another now, later, or fail the pool. */
  #decided(decision: StartDecision, error: unknown): void {
    if (decision.retry === 'now') this.#pump();
    else if (decision.retry === 'later') {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#starts.unblock();
        this.#pump();
      }, decision.delayMs);
      this.#holdWhileWaiting();
    } else {
      this.#fail(
        new CohortError(
          'POOL_FAILED',
          `the pool of ${this.#type.name} stopped: ${decision.failures} workers in a row failed to start or died at once` +
            `${decision.unanswered === true ? ' under their calls, answering none' : ''}; ` +
            `the last: ${describeThrown(error)}`,
          { cause: error },
        ),
      );
    }
  }

  /** The pool's failure, as one call's error: a copy, so that each points at its own caller. */
  #failedError(): CohortError {
    const failure = this.#failure!;
    return new CohortError(failure.code, failure.message, { cause: failure.cause });
  }

  #fail(error: CohortError): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    clearTimeout(this.#retryTimer);
    this.#spares?.close();
    this.#failure = error;
    for (const call of this.#queue.drain()) call.reject(this.#failedError());
    for (const member of this.#members) this.#stop(member, 'the pool failed');
  }

  #dispatch(member: PoolMember, call: PoolCall): void {
    call.queued = false;
    call.member = member;
    call.startedAt = performance.now();
    this.#waits.add(call.startedAt - call.enqueuedAt);
    member.running.add(call);
    clearTimeout(member.idleTimer);
    const worker = member.worker!;
    let outcome: Promise<unknown>;
    try {
      // Placed as `pool.run` placed the call: the worker's errors point at the caller, and nothing is captured again.
      outcome = runOn(worker, call.site, call.fn, call.arg);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    const { kind } = call.fn;
    outcome.then(
      (value) => {
        if (kind === 'pipe') call.resolve(this.#holdWhileStreaming(member, call, value as RpcStream<unknown>));
        else if (kind === 'state') {
          const { state, updates } = value as { state: unknown; updates: RpcStream<unknown> };
          call.resolve({ state, updates: this.#holdWhileStreaming(member, call, updates) });
        } else this.#finish(member, call, { ok: true, value });
      },
      (error: unknown) => this.#failed(member, call, error),
    );
  }

  /** A stream holds its worker's place until it ends; its end is the call's end. */
  #holdWhileStreaming(member: PoolMember, call: PoolCall, stream: RpcStream<unknown>): RpcStream<unknown> {
    return onStreamEnd(stream, (error) => {
      if (!member.running.has(call)) return;
      if (error === undefined) this.#finish(member, call, { ok: true, value: undefined });
      else this.#release(member, call, false);
    });
  }

  #finish(member: PoolMember, call: PoolCall, outcome: { ok: true; value: unknown }): void {
    call.resolve(outcome.value);
    this.#release(member, call, true);
  }

  /** A call failed: a thrown error is the caller's; a dead worker's call may be retried on another. */
  #failed(member: PoolMember, call: PoolCall, error: unknown): void {
    if (!member.running.has(call)) return;
    const workerGone = error instanceof RpcError && error.code === 'CONNECTION_CLOSED';
    // No call is sent to a worker once its connection closed (see PoolMember.available): this one was running.
    if (workerGone) member.diedUnderCall = true;
    if (workerGone && !call.settled && call.retriesLeft > 0 && this.#state !== 'failed') {
      call.retriesLeft--;
      this.#counters.retried++;
      member.running.delete(call);
      call.member = undefined;
      call.queued = true;
      this.#queue.unshift(call);
      this.#pump();
      return;
    }
    if (workerGone && member.stopReason !== undefined) {
      call.reject(
        new RpcError(
          'CONNECTION_CLOSED',
          `${call.label} failed: pool worker "${member.name}" was stopped because ${member.stopReason}`,
          { cause: error },
        ),
      );
    } else call.reject(error);
    this.#release(member, call, false);
  }

  /** The call no longer occupies its worker: count it, recycle the worker if due, give it the next call. */
  #release(member: PoolMember, call: PoolCall, ok: boolean): void {
    if (!member.running.delete(call)) return;
    call.member = undefined;
    this.#runs.add(performance.now() - call.startedAt);
    if (ok) {
      this.#counters.completed++;
      member.calls++;
      this.#starts.answered();
    } else this.#counters.failed++;
    this.#checkRecycle(member);
    if (member.state === 'retiring' && member.running.size === 0) this.#leave(member);
    this.#pump();
    this.#armIdle(member);
  }

  #checkRecycle(member: PoolMember): void {
    if (member.state !== 'ready') return;
    const { maxCalls, maxRssMiB } = this.#options.recycle;
    if (maxCalls !== undefined && member.calls >= maxCalls) {
      this.#retire(member);
      return;
    }
    if (maxRssMiB !== undefined && !member.usagePending && member.worker !== undefined) {
      // Asked alongside the next call, not before it: no call waits for the measurement.
      member.usagePending = true;
      usageOf(member.worker).then(
        ({ rssBytes }) => {
          member.usagePending = false;
          if (rssBytes > maxRssMiB * 1024 * 1024) this.#retire(member);
        },
        () => {
          member.usagePending = false;
        },
      );
    }
  }

  /** Takes no new call; leaves once its calls are done. Its replacement starts now, so capacity does not dip. */
  #retire(member: PoolMember): void {
    if (member.state !== 'ready') return;
    member.state = 'retiring';
    member.clearTimers();
    this.#counters.replaced++;
    this.#grow();
    if (member.running.size === 0) this.#leave(member);
  }

  #leave(member: PoolMember): void {
    member.clearTimers();
    void member.worker?.shutdown().catch(() => undefined);
  }

  #armIdle(member: PoolMember): void {
    if (member.state !== 'ready' || member.running.size > 0) return;
    let counted = 0;
    for (const m of this.#members) if (m.counted) counted++;
    if (counted <= this.#options.min) return;
    clearTimeout(member.idleTimer);
    member.idleTimer = setTimeout(() => {
      let stillCounted = 0;
      for (const m of this.#members) if (m.counted) stillCounted++;
      if (member.state === 'ready' && member.running.size === 0 && stillCounted > this.#options.min) {
        member.state = 'retiring';
        this.#leave(member);
      }
    }, this.#options.idleTimeoutMs).unref();
  }

  #timeOut(call: PoolCall): void {
    if (call.settled) return;
    const member = call.member;
    const where =
      member === undefined
        ? 'while it waited for a worker'
        : `on pool worker "${member.name}", which was stopped and replaced`;
    call.reject(
      new RpcError('TIMEOUT', `${call.label} timed out after ${call.timeoutMs} ms ${where}`, { rpc: call.fn.def.name }),
    );
    this.#leaveQueueOrStop(call, `call ${call.label} timed out after ${call.timeoutMs} ms`);
  }

  #abort(call: PoolCall): void {
    if (call.settled) return;
    call.reject(abortError(call.fn, call.signal!));
    this.#leaveQueueOrStop(call, `call ${call.label} was aborted`);
  }

  /** A call given up on: out of the queue, or its worker stopped for real (the only way to stop running code). */
  #leaveQueueOrStop(call: PoolCall, why: string): void {
    const member = call.member;
    if (member === undefined) {
      this.#queue.forget();
      this.#pump();
      return;
    }
    this.#counters.failed++;
    member.running.delete(call);
    this.#stop(member, why);
  }

  /** SIGTERM, then SIGKILL after `killGraceMs`; replaced at once. Its other calls die with it (or are retried). */
  #stop(member: PoolMember, why: string): void {
    if (member.state === 'stopping' || member.state === 'dead') return;
    const wasCounted = member.counted;
    member.state = 'stopping';
    member.stopReason = why;
    member.clearTimers();
    if (wasCounted && this.#state === 'open') this.#counters.replaced++;
    const worker = member.worker;
    if (worker !== undefined) {
      worker.kill('SIGTERM');
      setTimeout(() => worker.kill('SIGKILL'), this.#options.killGraceMs).unref();
    }
    this.#pump();
  }

  #onExit(member: PoolMember, status: ExitStatus): void {
    const expected = member.state === 'stopping' || member.state === 'retiring' || this.#state !== 'open';
    // Exited by itself (not killed from outside, as a chaos test or the OOM killer would) right after it started,
    // and while running no call: that says the worker type cannot run. A death under a call is that call's failure
    // (`process.exit` in a function, a crash on one input), however young the worker: the call fails or is retried.
    const busy = member.diedUnderCall || [...member.running].some((call) => !call.settled);
    const byItself = !expected && status.signal === null;
    const diedEarly = byItself && !busy && performance.now() - member.readyAt < EARLY_DEATH_MS;
    // Under calls, before answering one: counted apart (see StartPolicy.diedUnanswered).
    const diedUnanswered = byItself && busy && member.calls === 0;
    member.state = 'dead';
    member.clearTimers();
    this.#members.delete(member);
    if (!expected) this.#counters.replaced++;
    // Streams still open on it end with an error when read; they no longer hold a place.
    for (const call of [...member.running]) {
      if (call.settled) this.#release(member, call, false);
    }
    if (diedEarly)
      this.#failedStart(
        new CohortError(
          'SPAWN_FAILED',
          `pool worker "${member.name}" ${showProcessStatus(status)} right after it started`,
        ),
      );
    else if (diedUnanswered)
      this.#decided(
        this.#starts.diedUnanswered(),
        new CohortError(
          'SPAWN_FAILED',
          `pool worker "${member.name}" ${showProcessStatus(status)} under its calls before answering any`,
        ),
      );
    this.#pump();
    this.#membersChanged?.();
  }

  async #close(drain: boolean): Promise<void> {
    if (this.#state === 'open') this.#state = 'closing';
    if (drain && this.#state === 'closing') {
      if (this.#queue.size > 0 || this.#runningCalls() > 0)
        await new Promise<void>((resolve) => (this.#idle = resolve));
    } else {
      // One error per call: each points at its own caller.
      for (const call of this.#queue.drain())
        call.reject(new CohortError('POOL_CLOSED', `the pool of ${this.#type.name} was closed before this call ran`));
    }
    if (this.#state === 'closing') this.#state = 'closed';
    this.#spares?.close();
    // Until every worker has exited: those still starting are stopped as they come up (see #spawn).
    const asked = new Set<PoolMember>();
    while (this.#members.size > 0) {
      const changed = new Promise<void>((resolve) => (this.#membersChanged = resolve));
      for (const member of this.#members) {
        const worker = member.worker;
        if (worker === undefined || asked.has(member)) continue;
        asked.add(member);
        member.clearTimers();
        if (drain && member.state !== 'stopping') {
          member.state = 'retiring';
          void worker.shutdown().catch(() => undefined);
        } else {
          member.state = 'stopping';
          member.stopReason ??= 'the pool was closed';
          worker.kill('SIGKILL');
        }
        // Waiting for its exit keeps this program alive until then.
        void worker.exited;
      }
      await changed;
    }
  }

  #membersChanged: (() => void) | undefined;
}

function abortError(fn: AnyFunction, signal: AbortSignal): RpcError {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return new RpcError(
    'ABORTED',
    `${fn.workerType}.${fn.name} was aborted by the caller${detail === '' ? '' : `: ${detail}`}`,
    {
      rpc: fn.def.name,
      cause: reason,
    },
  );
}
