/**
 * The conventions between a spawner and the worker process it launches, shared by every launcher (local, ssh
 * agent) and by the worker side: how a worker knows it is one, which file descriptors it gets, and where it starts.
 */

/** Environment marker that makes `startApp()` serve a worker instead of returning. Removed once read. */
export const WORKER_MARKER = 'COHORT_WORKER';

/** The worker's control channel (bootstrap in, ready/failure reports out). */
export const CONTROL_FD = 3;
/** The lifeline: never written; its end-of-file tells the worker its spawner is gone. */
export const LIFELINE_FD = 4;

/** Environment variable that tells a worker where the app's root started; removed once read, like the marker. */
export const LAUNCH_DIR_VARIABLE = 'COHORT_LAUNCH_DIR';

const CHDIR_PRELOAD = '--import=data:text/javascript,process.chdir(';

/** The spawner's Node flags without the preload that moved it (a worker's own workers get their own, or none). */
export function withoutChdirPreload(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !arg.startsWith(CHDIR_PRELOAD));
}

/** The last Node flag of a worker that starts in one directory and must run in `target`. */
export function chdirPreload(target: string): string {
  return `${CHDIR_PRELOAD}${encodeURIComponent(`${JSON.stringify(target)});`)}`;
}

let launchDirectory: string | undefined;

/**
 * Where every worker of the app starts: Node resolves `--import`/`--require` specifiers (tsx and other loaders)
 * against the directory it starts in, so workers start where the app's root started (a worker passes the place on
 * in the environment) and then move to their own directory from a last preload. Read once, on first use: a worker
 * reads it at start-up, before its program could move. Only a worker trusts the variable: another program started
 * from a worker is a root of its own.
 */
export function launchDir(): string {
  launchDirectory ??=
    (process.env[WORKER_MARKER] === '1' ? process.env[LAUNCH_DIR_VARIABLE] : undefined) ?? process.cwd();
  return launchDirectory;
}
