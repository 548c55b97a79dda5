import type { TaskContext } from './task-context.js';

/**
 * A task's `ctx`. A class rather than an object literal: a literal with a getter is built by V8's runtime, slowly,
 * and one is built per task. `send` and `receive` stay own properties, so a destructured `ctx` still works.
 */
export class RunContext implements TaskContext {
  readonly #call: { readonly signal: AbortSignal };

  constructor(
    readonly workerId: string,
    call: { readonly signal: AbortSignal },
    readonly send: TaskContext['send'],
    readonly receive: TaskContext['receive'],
  ) {
    this.#call = call;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}
