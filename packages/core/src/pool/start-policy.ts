/** Consecutive failed starts after which the pool gives up. */
const FAILED_STARTS_LIMIT = 3;
/** The longest wait before trying to start a worker again after failures. */
const MAX_RETRY_DELAY_MS = 5000;
const FIRST_RETRY_DELAY_MS = 50;
/**
 * Workers in a row that died under their calls before answering one, with no call answered by any worker in between,
 * after which the pool gives up: the type dies whenever it is given work (see `diedUnanswered`).
 */
const UNANSWERED_DEATHS_LIMIT = 10;
/** A worker that exits by itself this soon after it was ready, while running no call, counts as a failed start. */
export const EARLY_DEATH_MS = 1000;

/** How a failed start is handled: start another now, after `delayMs`, or give up. */
export type StartDecision =
  | { readonly retry: 'now' }
  | { readonly retry: 'later'; readonly delayMs: number }
  | { readonly retry: 'never'; readonly failures: number; readonly unanswered?: boolean };

/**
 * When a pool keeps starting workers and when it gives up, as a pure policy. A start that failed because something
 * killed the process (a signal from outside: an operator, the OOM killer, a chaos test) says nothing about the
 * worker type: another starts at once. Other failures (the spawn failed, or the worker exited by itself right after
 * it started) count: each makes the next attempt wait longer, and three in a row stop the pool, rather than a
 * respawn storm. A worker that lives past the start window proves the type can run and resets the count.
 *
 * A worker that dies under a call is that call's failure, not a failed start (a function calling `process.exit`,
 * a crash on one input), however young the worker. But a type whose workers die under every call, before answering
 * any, would be respawned for as long as calls come: ten such deaths in a row, with no call answered by any worker
 * in between, also stop the pool. (Not three: a fresh worker given many calls at once may well die of one of them
 * before its answers to the others go out, and with one worker alone that can happen a few times in a row.)
 */
export class StartPolicy {
  #failures = 0;
  #unansweredDeaths = 0;
  #delayMs = 0;
  #blockedUntil = 0;

  /** Whether starting a worker now is allowed (not during a back-off). */
  mayStart(now: number): boolean {
    return now >= this.#blockedUntil;
  }

  failed(killed: boolean, now: number): StartDecision {
    if (killed) return { retry: 'now' };
    this.#failures++;
    this.#delayMs = Math.min(MAX_RETRY_DELAY_MS, this.#delayMs === 0 ? FIRST_RETRY_DELAY_MS : this.#delayMs * 2);
    if (this.#failures >= FAILED_STARTS_LIMIT) return { retry: 'never', failures: this.#failures };
    this.#blockedUntil = now + this.#delayMs;
    return { retry: 'later', delayMs: this.#delayMs };
  }

  /**
   * The back-off is over: its timer fired. The timer, not the clock, says so: a timer may fire a fraction of a
   * millisecond before `performance.now()` reaches the deadline, and a start refused then would never be retried.
   */
  unblock(): void {
    this.#blockedUntil = 0;
  }

  /** A worker came up: back-off ends (its failures count until it has lived past the start window). */
  started(): void {
    this.#delayMs = 0;
  }

  /** A worker lived past the start window. */
  proven(): void {
    this.#failures = 0;
  }

  /** A worker died under its calls before answering any: start another now, or give up after too many in a row. */
  diedUnanswered(): StartDecision {
    this.#unansweredDeaths++;
    if (this.#unansweredDeaths >= UNANSWERED_DEATHS_LIMIT)
      return { retry: 'never', failures: this.#unansweredDeaths, unanswered: true };
    return { retry: 'now' };
  }

  /** A call was answered: the type runs, whatever deaths came before. */
  answered(): void {
    this.#unansweredDeaths = 0;
  }

  /**
   * Since the last answer, a worker died under its calls before answering one: a new worker is then given one call
   * at a time until it answers. Its death under that call is evidence against the type; a worker given many calls
   * at once, by contrast, may die of any one of them (a call that kills its worker at random, 1 in 100, is in almost
   * half of all batches of 64), and ten such deaths in a row would stop a pool whose type runs.
   */
  get probing(): boolean {
    return this.#unansweredDeaths > 0;
  }
}
