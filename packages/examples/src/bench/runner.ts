// One run of the bench on the Node and in the runtime (compiled JS or tsx) that started this file: runs the groups,
// prints one table (Cohort, baseline or peer, ratio, target, met?) and writes the results JSON and its chart
// (the ratios against their targets). `pnpm bench` (main.ts) starts it once per runtime.
//
//   runner [groups…] [--quick] [--out file.json]   the chart goes beside the JSON, as file.svg
//   BENCH_CPU_PROF_DIR=/tmp/p                        also write a .cpuprofile per bench server process
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killAllServers, killServersOnExit } from './child-process.js';
import type { BenchContext, BenchGroup, Metric } from './harness.js';
import { renderChart } from './results-chart.js';
import { describeMachine, workspaceRoot, writeResults, type BenchResults } from './results-file.js';
import { mapreduceGroup } from './mapreduce.js';
import { parallelGroup } from './parallel.js';
import { poolGroup } from './pool.js';
import { benchRuntime } from './script-url.js';
import { rpcGroup } from './rpc.js';
import { schedulerGroup } from './scheduler.js';
import { formatTable } from './table.js';
import { tunnelGroup } from './tunnel.js';

const RUNTIME_NAMES = { js: 'compiled JavaScript', tsx: 'TypeScript under tsx' } as const;

const GROUPS: readonly BenchGroup[] = [rpcGroup, parallelGroup, schedulerGroup, mapreduceGroup, poolGroup, tunnelGroup];

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
// Started by main.ts, which holds our stdin: when it goes (even SIGKILLed), so do we and every server.
if (process.env['BENCH_LAUNCHED'] === '1') {
  const launcherGone = (): void => {
    killAllServers();
    process.exit(1);
  };
  process.stdin.on('end', launcherGone);
  process.stdin.on('close', launcherGone);
  process.stdin.resume();
  // Watching is no reason to stay: the run ends when its work does.
  (process.stdin as { unref?: () => void }).unref?.();
}
const machine = describeMachine();
const context: BenchContext = {
  quick: values.quick,
  progress: (line) => process.stderr.write(`  … ${line}\n`),
};
console.error(
  `bench: node ${machine.node} (${machine.nodePath}), ${RUNTIME_NAMES[benchRuntime]}, ${machine.cpu.cores} × ${machine.cpu.model}, load ${machine.loadAverage.toFixed(2)}`,
);

const started = performance.now();
const metrics: Metric[] = [];
for (const group of selected) {
  console.error(`bench: ${group.name}: ${group.title}`);
  const groupStart = performance.now();
  metrics.push(...(await group.run(context)));
  console.error(`bench: ${group.name} took ${((performance.now() - groupStart) / 1000).toFixed(1)} s`);
}
const durationMs = performance.now() - started;

console.log(
  `node ${machine.node}, ${RUNTIME_NAMES[benchRuntime]}, ${machine.platform}, ${machine.cpu.cores} × ${machine.cpu.model}\n`,
);
console.log(formatTable(metrics));
const missed = metrics.filter((m) => !m.met);
console.log(
  missed.length === 0
    ? '\nall targets met'
    : `\n${missed.length} target(s) missed: ${missed.map((m) => `${m.group}: ${m.name}`).join('; ')}`,
);

const out =
  values.out === undefined ? join(workspaceRoot(), `bench-results-${benchRuntime}.json`) : resolve(values.out);
const chart = out.endsWith('.json') ? `${out.slice(0, -'.json'.length)}.svg` : `${out}.svg`;
const results: BenchResults = {
  date: new Date().toISOString(),
  ...machine,
  runtime: benchRuntime,
  loadAverageAtEnd: loadavg()[0] ?? 0,
  durationMs: Math.round(durationMs),
  groups: selected.map((group) => group.name),
  metrics,
};
await writeResults(out, results);
await writeFile(chart, renderChart(results));
console.log(
  `results written to ${out} and ${chart}${values.quick ? ' (quick run)' : ''}; the run took ${(durationMs / 1000).toFixed(0)} s`,
);
