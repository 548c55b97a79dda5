import { z } from 'zod';
import { lazily } from '../../common/options.js';

/** Options of `Hosts.slurm()`. */
export interface SlurmHostOptions {
  /**
   * The allocation the workers' job steps run in: `'auto'` uses the one the master runs in (`SLURM_JOB_ID`, as under
   * `sbatch` or `salloc`) if any, else makes one; `'new'` always makes one (`salloc --no-shell`, cancelled when the
   * master exits, however it exits, or on `host.close()`); a job id uses that allocation, which Cohort never cancels.
   * @default 'auto'
   */
  allocation?: 'auto' | 'new' | string;
  /** The partition (`-p`) of the allocation Cohort makes. @default the cluster's default partition */
  partition?: string;
  /** Nodes (`-N`) of the allocation Cohort makes. @default 1 */
  nodes?: number;
  /**
   * How many workers the allocation Cohort makes must hold at once: it asks for that many tasks of `cpusPerWorker`
   * CPUs (`-n workers -c cpusPerWorker`). Without it, the allocation takes its nodes whole (`--exclusive`). A spawn
   * beyond what the allocation holds waits (within its `spawnTimeoutMs`) for a running worker to end.
   */
  workers?: number;
  /** CPUs of each worker's job step (`srun -c`, with `--exact`). @default 1 */
  cpusPerWorker?: number;
  /**
   * The time limit (`-t`, Slurm's formats: `30`, `2:00:00`, `1-0`) of the allocation Cohort makes: the backstop
   * if every other way of ending it failed.
   * @default the partition's default
   */
  time?: string;
  /** The account (`-A`) to charge the allocation Cohort makes to. */
  account?: string;
  /**
   * The name (`-J`) of the allocation Cohort makes, as `squeue` shows it.
   * @default `cohort-<host name>-<master pid>-<random>`
   */
  jobName?: string;
  /** Extra `salloc` arguments for the allocation Cohort makes (e.g. `['--qos', 'debug', '--mem-per-cpu=2G']`). */
  sallocArgs?: readonly string[];
  /** Extra `srun` arguments for each worker's step (e.g. `['--mem=4G']`, `['--gpus=1']`). */
  srunArgs?: readonly string[];
  /** The Node.js binary on the nodes (>= 20.19). @default 'node' (looked up on the PATH srun gives) */
  nodePath?: string;
  /** The entry script's path on the nodes. @default the master's own (`process.argv[1]`): a shared file system */
  entry?: string;
  /** The directory (absolute) on the nodes where workers start. @default the directory the master's app started in */
  cwd?: string;
  /**
   * How the master reaches these workers: `'auto'`, by TCP when it can connect to the node, else through srun's
   * stdin/stdout; `'tunnel'`, always through srun (for nodes with only an outbound route; srun relays a few
   * MB/s); `'tcp'`, always directly.
   * @default 'auto'
   */
  transport?: 'auto' | 'tunnel' | 'tcp';
  /**
   * For TCP: where the master connects to a node's workers.
   * @default the node's address on its route to the master (`SLURM_SRUN_COMM_HOST`), else its first IPv4 address
   */
  connectHost?: string;
  /** For TCP: the interface workers listen on. @default that same address on the route to the master */
  listenHost?: string;
}

export const slurmHostOptionsSchema = lazily(() => {
  const positive = z.number().int().positive();
  const path = z.string().min(1);

  return z.strictObject({
    allocation: z
      .union([z.enum(['auto', 'new']), z.string().regex(/^\d+$/, { message: "must be 'auto', 'new' or a job id" })])
      .optional(),
    partition: z.string().min(1).optional(),
    nodes: positive.optional(),
    workers: positive.optional(),
    cpusPerWorker: positive.optional(),
    time: z.string().min(1).optional(),
    account: z.string().min(1).optional(),
    jobName: z
      .string()
      .min(1)
      .refine((name) => !/[\s\p{Cc}]/u.test(name), { message: 'must not contain spaces or control characters' })
      .optional(),
    sallocArgs: z.array(z.string()).readonly().optional(),
    srunArgs: z.array(z.string()).readonly().optional(),
    nodePath: path.optional(),
    entry: path.optional(),
    cwd: z.string().startsWith('/', { message: 'must be an absolute path on the nodes' }).optional(),
    transport: z.enum(['auto', 'tunnel', 'tcp']).optional(),
    connectHost: z.string().min(1).optional(),
    listenHost: z.string().min(1).optional(),
  });
});

/** Options that only shape an allocation Cohort makes. */
export const ALLOCATION_OPTIONS = [
  'partition',
  'nodes',
  'workers',
  'time',
  'account',
  'jobName',
  'sallocArgs',
] as const;
