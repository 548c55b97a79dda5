// The README's benchmark tables, in markdown, from results files: one table per run (compiled JS, tsx), each
// headed by its date, Node version, runtime and machine. Only the text between the markers is replaced.
import type { BenchResults } from './results-file.js';
import { metricCells } from './table.js';

export const START_MARKER = '<!-- bench:tables:start -->';
export const END_MARKER = '<!-- bench:tables:end -->';

const RUNTIME = { js: 'compiled JavaScript, plain `node`', tsx: 'TypeScript under tsx' } as const;

/** `|` inside a cell would split it. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

export function markdownTable(results: BenchResults): string {
  const when = results.date.slice(0, 10);
  const groups = results.groups.join(', ');
  const heading = `**Node.js ${results.node}, ${RUNTIME[results.runtime]}** — ${when}, ${results.platform}, ${results.cpu.cores} × ${results.cpu.model}, load ${results.loadAverage.toFixed(2)} at the start and ${results.loadAverageAtEnd.toFixed(2)} at the end, ${Math.round(results.durationMs / 1000)} s (groups: ${groups}).`;
  const rows = results.metrics.map((metric) => {
    const cells = metricCells(metric);
    if (!metric.met) cells[5] = '**NO**';
    return `| ${cells.map(cell).join(' | ')} |`;
  });
  return [
    heading,
    '',
    '| metric | Cohort | baseline or peer | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `readme` with the text between the markers replaced by one table per run, in the order given. */
export function renderReadmeTables(readme: string, runs: readonly BenchResults[]): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start)
    throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} section to write the tables into`);
  const tables = runs.map(markdownTable).join('\n\n');
  return `${readme.slice(0, start + START_MARKER.length)}\n${tables}\n${readme.slice(end)}`;
}
