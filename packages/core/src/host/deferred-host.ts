import type { Host, LaunchedProcess, LaunchRequest } from './host.js';

/**
 * A host whose implementation is loaded at its first launch. The remote hosts' machinery (the agent's program, its
 * sessions and tunnels, Slurm allocations) is a large part of `@cohort/core`, and every worker re-runs the program's
 * top level, hosts included: a worker that starts no remote workers itself never loads it. Options are checked when
 * the host is made, as before.
 */
export class DeferredHost<H extends Host> implements Host {
  #loading: Promise<H> | undefined;
  #loaded: H | undefined;

  constructor(
    readonly name: string,
    private readonly load: () => Promise<H>,
  ) {}

  /** The implementation, once a launch has loaded it. */
  get loaded(): H | undefined {
    return this.#loaded;
  }

  /** The implementation once its load (if one began) has ended; `undefined` if none began or it failed. */
  async settled(): Promise<H | undefined> {
    return this.#loading?.catch(() => undefined);
  }

  launch(request: LaunchRequest): Promise<LaunchedProcess> {
    // Launches waiting on the load go on in the order they came: a shared agent session is still made by the first.
    this.#loading ??= this.load().then((host) => (this.#loaded = host));
    return this.#loading.then((host) => host.launch(request));
  }
}
