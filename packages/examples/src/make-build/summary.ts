import type { Artifact } from './artifact.js';
import type { BuildState } from './build-state.js';
import { formatBytes, formatSeconds } from './format.js';
import type { TargetRun } from './target-run.js';

/** One row per target: status, time, worker, and what it made or why not. */
export function summaryTable(state: BuildState<Artifact>, runs: ReadonlyMap<string, TargetRun>): string {
  const rows = state.targets.map((target) => {
    const run = runs.get(target.name);
    const status = state.state(target.name);
    const time =
      run?.startedAtMs !== undefined && run.endedAtMs !== undefined
        ? formatSeconds(run.endedAtMs - run.startedAtMs)
        : '';
    const output = state.output(target.name);
    const detail =
      output !== undefined
        ? `${output.file} (${formatBytes(output.bytes)}, sha256 ${output.sha256.slice(0, 12)})`
        : status === 'skipped'
          ? `needs ${run?.skippedBecause ?? '?'}`
          : (run?.error ?? 'not run');
    return [target.name, status, time, run?.worker === undefined ? '' : String(run.worker), detail];
  });
  return table(['target', 'status', 'time', 'worker', 'output'], rows);
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
