// Types of side-channel.mjs.
export declare const RUN_DIR_VARIABLE: 'COHORT_TEST_RUN_DIR';
export declare const PIDS_FILE: 'pids.jsonl';
export declare const EXITS_FILE: 'exits.jsonl';

/**
 * A line of PIDS_FILE: a worker that recorded itself as it loaded (`worker`), or a worker pid its master learnt of
 * and recorded in case the worker dies before it can (`spawned`).
 */
export interface PidRecord {
  readonly pid: number;
  readonly ppid: number;
  readonly role: 'worker' | 'spawned';
}
