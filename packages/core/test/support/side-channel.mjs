// The run directory a fixture program shares with its test (fixture-runner.ts), and what every worker of the run
// writes there by itself: its pid as it loads, its exit code as it exits. The test knows every worker pid that way,
// even when a spawn fails or the master is killed. Plain JS so that the compiled fixtures (plain node, no loader)
// record themselves through this same module.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Names the run directory. Every process of the run inherits it, so the test finds them all by their environment;
 * the test sshd accepts COHORT_TEST_* (.ci/setup-sshd), so remote sessions can carry it too.
 */
export const RUN_DIR_VARIABLE = 'COHORT_TEST_RUN_DIR';
/** One JSON pid record a line. */
export const PIDS_FILE = 'pids.jsonl';
/** One `{ pid, code }` a line, for the workers that ended by exiting (not by a signal). */
export const EXITS_FILE = 'exits.jsonl';

const runDir = process.env[RUN_DIR_VARIABLE];
// The marker is still in the environment while a worker re-runs the program's top level.
if (runDir !== undefined && process.env.COHORT_WORKER === '1') {
  appendFileSync(
    join(runDir, PIDS_FILE),
    `${JSON.stringify({ pid: process.pid, ppid: process.ppid, role: 'worker' })}\n`,
  );
  process.on('exit', (code) =>
    appendFileSync(join(runDir, EXITS_FILE), `${JSON.stringify({ pid: process.pid, code })}\n`),
  );
}
