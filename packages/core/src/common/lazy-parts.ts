/**
 * The parts of `@cohort/core` that only a spawning process runs, each loaded on first use: pools, the map-reduce
 * engine, app spares and the agent hosts (local spawning stays: the scheduler's races are tested with its spawns
 * starting in the same turn). Every worker re-runs its program's top level and so loads the package, but never
 * these unless it spawns. The loaders are handed over by the package entry (`lazy-imports.ts`), the one module with
 * dynamic imports: a loader such as tsx rewrites every module that has one (its source and a fine-grained source
 * map), which in the bundle's main chunk cost each worker about 10 MiB. Each caller states the type of the module it
 * loads (`as typeof import(…)`), so this registry imports nothing.
 */
export type LazyPart = 'pool' | 'mapReduceEngine' | 'appSpares' | 'sshAgent' | 'commandAgent' | 'slurmAgent';

let loaders: Readonly<Record<LazyPart, () => Promise<unknown>>> | undefined;

/** Called once, by the package entry. */
export function setLazyParts(given: Readonly<Record<LazyPart, () => Promise<unknown>>>): void {
  loaders = given;
}

/** Loads a part; the entry has set the loaders before any program code runs. */
export function loadPart(part: LazyPart): Promise<unknown> {
  if (loaders === undefined) {
    throw new Error(
      "Cohort: a module of @cohort/core was loaded without the package entry; import from '@cohort/core'",
    );
  }
  return loaders[part]();
}
