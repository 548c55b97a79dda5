// The private test Slurm cluster of .ci/setup-slurm, as the Hosts.slurm tests see it: whether it is there, and
// which jobs are left in it (a test that runs steps proves afterwards that none is). Node built-ins only.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The cluster as .ci/setup-slurm's `export` lines describe it; undefined without them. */
export const slurmCluster =
  process.env.SLURM_CONF === undefined || process.env.COHORT_SLURM_DIR === undefined
    ? undefined
    : {
        conf: process.env.SLURM_CONF,
        dir: process.env.COHORT_SLURM_DIR,
        partition: process.env.COHORT_SLURM_PARTITION ?? 'debug',
      };

export const slurmSkipReason =
  'Slurm tests need the test cluster: run `eval "$(COHORT_SLURM_DIR=$(mktemp -d) .ci/setup-slurm)"` first (sets SLURM_CONF, COHORT_SLURM_DIR, COHORT_SLURM_PARTITION)';

/** What a skipped Slurm test file prints, so that a run without the cluster cannot pass for a run with it. */
export function slurmSkipWarning(why: string): string {
  return `\n!! WARNING: the Hosts.slurm tests are SKIPPED: ${why}\n!! ${slurmSkipReason}\n`;
}

/** A command of the cluster's: exit code, output; never throws (a missing binary is status null, error set). */
export function slurmCommand(
  command: string,
  args: readonly string[],
  timeoutMs = 10_000,
): { status: number | null; stdout: string; stderr: string; error?: Error } {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

/**
 * Why the cluster cannot be used, or undefined when it can: the variables set, and `sinfo` answering for the
 * partition with a node that takes jobs (idle, mixed or allocated; not down, drained or unknown).
 */
export function slurmUnavailableReason(): string | undefined {
  if (slurmCluster === undefined) return 'SLURM_CONF or COHORT_SLURM_DIR is not set';
  // Without its file, every Slurm command looks for a configless controller in DNS, and hangs a while doing so.
  if (!existsSync(slurmCluster.conf)) return `SLURM_CONF names no file: ${slurmCluster.conf}`;
  const sinfo = slurmCommand('sinfo', ['-h', '-p', slurmCluster.partition, '-o', '%T'], 5_000);
  if (sinfo.error !== undefined) return `sinfo did not run: ${sinfo.error.message}`;
  if (sinfo.status !== 0) return `sinfo exited with ${sinfo.status}: ${sinfo.stderr.trim()}`;
  const states = sinfo.stdout.split('\n').filter((line) => line !== '');
  if (!states.some((state) => /^(idle|mixed|allocated)$/.test(state)))
    return `no node of partition ${slurmCluster.partition} takes jobs (sinfo says: ${states.join(', ') || 'nothing'})`;
  return undefined;
}

/** Whether the test cluster is there and answers (see slurmUnavailableReason). */
export function slurmAvailable(): boolean {
  return slurmUnavailableReason() === undefined;
}

export interface SlurmJob {
  readonly id: string;
  /** PENDING, RUNNING, COMPLETING... (a COMPLETING job may still have processes). */
  readonly state: string;
  readonly name: string;
  /** The reason it pends, or None. */
  readonly reason: string;
}

/** Which jobs a check looks at. Test files run at once against the one cluster: each looks only at its own jobs. */
export type JobFilter = (job: SlurmJob) => boolean;

/** A job name of this test's own (`srun -J`), for `jobsLeft(named(name))`: no two test processes share one. */
export function uniqueJobName(label: string): string {
  return `cohort-test-${label}-${process.pid}-${Date.now().toString(36)}`;
}

/** The jobs whose name starts with `prefix`. */
export function named(prefix: string): JobFilter {
  return (job) => job.name.startsWith(prefix);
}

/**
 * The jobs in the cluster's queue (`squeue -h`: pending, running and completing ones), those `filter` keeps if
 * given. Throws if squeue fails.
 */
export function jobsLeft(filter?: JobFilter): SlurmJob[] {
  // %i id, %T state, %r reason, %j name last, as the only field that may hold the separator.
  const squeue = slurmCommand('squeue', ['-h', '-o', '%i|%T|%r|%j']);
  if (squeue.error !== undefined || squeue.status !== 0)
    throw new Error(`squeue failed (${squeue.status}): ${squeue.error?.message ?? squeue.stderr.trim()}`);
  const jobs = squeue.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', state = '', reason = '', ...name] = line.split('|');
      return { id, state, reason, name: name.join('|') };
    });
  return filter === undefined ? jobs : jobs.filter(filter);
}

/** Waits up to `timeoutMs` for no job (that `filter` keeps) to be left; returns those still there (none: empty). */
export async function waitNoJobs(timeoutMs = 15_000, filter?: JobFilter): Promise<SlurmJob[]> {
  const until = Date.now() + timeoutMs;
  let jobs = jobsLeft(filter);
  while (jobs.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    jobs = jobsLeft(filter);
  }
  return jobs;
}

/**
 * Waits for no job (that `filter` keeps) to be left, cancels those that are, and throws naming them: a leaked job
 * fails the test, and does not hold the cluster's CPUs for the next one.
 */
export async function expectNoJobs(timeoutMs = 15_000, filter?: JobFilter): Promise<void> {
  const left = await waitNoJobs(timeoutMs, filter);
  if (left.length === 0) return;
  slurmCommand(
    'scancel',
    left.map((job) => job.id),
  );
  throw new Error(
    `Slurm jobs still in the queue after ${timeoutMs} ms: ${left.map((job) => `${job.id} ${job.name} ${job.state} (${job.reason})`).join('; ')}`,
  );
}

/**
 * Pids of a job's or step's processes on this machine (`scontrol listpids 12` or `12.0`, which asks the local slurmd:
 * the test cluster's one node is this machine): each task and, with proctrack/linuxproc, its descendants while they
 * are still below it.
 */
export function stepPids(jobOrStep: string): number[] {
  const listpids = slurmCommand('scontrol', ['listpids', jobOrStep]);
  if (listpids.status !== 0) return [];
  // "PID JOBID STEPID LOCALID GLOBALID" then one line a process.
  return listpids.stdout
    .split('\n')
    .slice(1)
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}
