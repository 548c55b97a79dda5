import { CohortError } from '../../common/errors.js';
import { checkOptions } from '../../common/options.js';
import { DeferredHost } from '../deferred-host.js';
import type { Host } from '../host.js';
import { ALLOCATION_OPTIONS, slurmHostOptionsSchema, type SlurmHostOptions } from './slurm-options.js';
import { loadPart } from '../../common/lazy-parts.js';

/** A Slurm host: a `Host`, plus its allocation. */
export interface SlurmHost extends Host {
  /** The allocation's job id, once there is one. */
  readonly jobId: string | undefined;
  /**
   * Cancels the allocation Cohort made for this host (its workers' steps end with it) and stops its reaper; a
   * user's allocation is left alone. A later spawn makes a new one. Not needed before the program exits: the
   * allocation is cancelled then anyway.
   */
  close(): Promise<void>;
}

/**
 * Runs workers as job steps of a Slurm allocation: each worker is one `srun` step (`-N1 -n1 -c cpusPerWorker
 * --exact`) running Cohort's agent, which starts the worker on its node as a local spawner would. The allocation is
 * the one the master runs in (under `sbatch` or `salloc`), a given job id, or one Cohort makes with
 * `salloc --no-shell` and cancels when the program ends, however it ends (see reaper-source.ts). The master reaches
 * the workers by TCP when it can, else through srun's own stdin/stdout (`transport`).
 *
 * @example
 * const cluster = Hosts.slurm({ partition: 'compute', nodes: 2, workers: 32, time: '1:00:00' });
 * const sums = MapReduce.map(Hash, chunks, { hosts: [{ host: cluster, workers: 32 }], spawn: { spawnTimeoutMs: 300_000 } });
 */
export function slurmHost(options: SlurmHostOptions = {}): SlurmHost {
  const checked = checkOptions(slurmHostOptionsSchema(), options, 'Hosts.slurm');
  const given = checked.allocation ?? 'auto';
  if (given !== 'auto' && given !== 'new') {
    const shaping = ALLOCATION_OPTIONS.filter((name) => checked[name] !== undefined);
    if (shaping.length > 0) {
      throw new CohortError(
        'INVALID_ARGUMENT',
        `Hosts.slurm: ${shaping.join(', ')} shape an allocation Cohort makes, not job ${given}, which you hold`,
      );
    }
  }
  const name = `slurm:${checked.partition ?? 'default partition'}`;
  const deferred = new DeferredHost(name, async () =>
    ((await loadPart('slurmAgent')) as typeof import('./slurm-agent.js')).slurmAgentHost(name, checked),
  );
  return {
    name,
    get jobId() {
      return deferred.loaded?.jobId;
    },
    launch: (request) => deferred.launch(request),
    close: async () => {
      await (await deferred.settled())?.close();
    },
  };
}
