// `pnpm bench`: runs the benchmark groups, prints one table (Cohort, baseline or peer, ratio, target, met?) and
// writes bench-results.json and bench-results.svg (the ratios against their targets) at the workspace root.
//
//   pnpm bench                 every group
//   pnpm bench rpc             only the named groups
//   pnpm bench --quick         a smoke run: fewer repetitions, numbers not worth quoting
//   pnpm bench --out file.json write the results elsewhere (the chart goes beside it, as file.svg)
//   BENCH_CPU_PROF_DIR=/tmp/p  also write a .cpuprofile per bench server process
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killServersOnExit } from './child-process.js';
import type { BenchContext, BenchGroup, Metric } from './harness.js';
import { renderChart } from './results-chart.js';
import { describeMachine, workspaceRoot, writeResults, type BenchResults } from './results-file.js';
import { mapreduceGroup } from './mapreduce.js';
import { parallelGroup } from './parallel.js';
import { poolGroup } from './pool.js';
import { rpcGroup } from './rpc.js';
import { schedulerGroup } from './scheduler.js';
import { formatTable } from './table.js';

const GROUPS: readonly BenchGroup[] = [rpcGroup, parallelGroup, schedulerGroup, mapreduceGroup, poolGroup];

const { values, positionals } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
  allowPositionals: true,
});
const unknown = positionals.filter((name) => !GROUPS.some((group) => group.name === name));
if (unknown.length > 0) {
  console.error(`bench: unknown group ${unknown.join(', ')}; groups are ${GROUPS.map((g) => g.name).join(', ')}`);
  process.exit(2);
}
const selected = positionals.length === 0 ? GROUPS : GROUPS.filter((group) => positionals.includes(group.name));

killServersOnExit();
const machine = describeMachine();
const context: BenchContext = {
  quick: values.quick,
  progress: (line) => process.stderr.write(`  … ${line}\n`),
};
console.error(`bench: node ${machine.node}, ${machine.cpu.cores} × ${machine.cpu.model}, load ${machine.loadAverage.toFixed(2)}`);

const started = performance.now();
const metrics: Metric[] = [];
for (const group of selected) {
  console.error(`bench: ${group.name}: ${group.title}`);
  const groupStart = performance.now();
  metrics.push(...(await group.run(context)));
  console.error(`bench: ${group.name} took ${((performance.now() - groupStart) / 1000).toFixed(1)} s`);
}
const durationMs = performance.now() - started;

console.log(formatTable(metrics));
const missed = metrics.filter((m) => !m.met);
console.log(missed.length === 0 ? '\nall targets met' : `\n${missed.length} target(s) missed: ${missed.map((m) => `${m.group}: ${m.name}`).join('; ')}`);

const out = values.out === undefined ? join(workspaceRoot(), 'bench-results.json') : resolve(values.out);
const chart = out.endsWith('.json') ? `${out.slice(0, -'.json'.length)}.svg` : `${out}.svg`;
const results: BenchResults = {
  date: new Date().toISOString(),
  ...machine,
  loadAverageAtEnd: loadavg()[0] ?? 0,
  durationMs: Math.round(durationMs),
  groups: selected.map((group) => group.name),
  metrics,
};
await writeResults(out, results);
await writeFile(chart, renderChart(results));
console.log(`results written to ${out} and ${chart}${values.quick ? ' (quick run)' : ''}; the run took ${(durationMs / 1000).toFixed(0)} s`);
