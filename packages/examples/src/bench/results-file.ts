import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metric } from './harness.js';

/** The content of `bench-results.json`: the metrics and what a reader needs to compare runs across machines. */
export interface BenchResults {
  date: string;
  /** The Node version, e.g. `v24.22.3`. */
  node: string;
  /** The Node binary the bench and all its processes ran on. */
  nodePath: string;
  /** `js`: the bench compiled to JavaScript under plain `node`; `tsx`: its TypeScript sources under tsx. */
  runtime: 'js' | 'tsx';
  platform: string;
  cpu: { model: string; cores: number };
  /** 1-minute load average when the run started: a busy machine explains noisy numbers. */
  loadAverage: number;
  /** The same when the run ended: with the start's, how busy the machine was while it ran. */
  loadAverageAtEnd: number;
  durationMs: number;
  groups: string[];
  metrics: Metric[];
}

export function describeMachine(): Pick<BenchResults, 'node' | 'nodePath' | 'platform' | 'cpu' | 'loadAverage'> {
  return {
    node: process.version,
    nodePath: process.execPath,
    platform: `${platform()} ${release()} ${process.arch}`,
    cpu: { model: cpus()[0]?.model.trim() ?? 'unknown', cores: availableParallelism() },
    loadAverage: loadavg()[0] ?? 0,
  };
}

/** The workspace root: the nearest directory above this file that holds `pnpm-workspace.yaml`. */
export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('bench: cannot find the workspace root (no pnpm-workspace.yaml above the bench)');
    dir = parent;
  }
  return dir;
}

export async function writeResults(path: string, results: BenchResults): Promise<void> {
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}
