import { requireApp } from './app/app.js';
import { shutdown } from './parallel/internal-rpcs.js';

/**
 * For Cohort's own tests (after rpc_parallel's `For_internal_testing`): what the public API deliberately does not
 * offer. Not exported by the package; tests import it from the source.
 */
export const forInternalTesting = Object.freeze({
  /** The app's secret, to play a client of the app from outside it (or a stranger with the wrong one). */
  appSecret: (): string => requireApp('forInternalTesting.appSecret()').secret,
  /** Where the next worker this process spawns will listen. */
  nextWorkerSocketPath: (): string => {
    const app = requireApp('forInternalTesting.nextWorkerSocketPath()');
    return app.socketPath(app.upcomingWorkerId());
  },
  /** The RPC every worker serves to be asked to exit: for a client that is not part of the app. */
  shutdownRpc: shutdown,
});
