// `pnpm bench --quick`, run as a real process tree (the launcher, the bench it runs, its Cohort masters, their
// workers, the peers' pools): every group reports every metric it promises, the JSON and the chart are written, and
// no process is left (runExample proves it). The figures of a quick run on a busy test machine mean nothing; only
// their shape is checked. The bench runs on the Node that runs the tests (CI runs them on several).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { END_MARKER, renderReadmeTables, START_MARKER } from '../src/bench/markdown-tables.js';
import type { BenchResults } from '../src/bench/results-file.js';
import { runExample } from './support/run-example.js';

const GROUPS = ['rpc', 'parallel', 'scheduler', 'mapreduce', 'pool', 'tunnel'];

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('pnpm bench --quick', () => {
  it('runs every group compiled to JavaScript, prints the table, writes bench-results JSON and SVG, and leaves no process', {
    timeout: 300_000,
  }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-bench-test-'));
    const out = join(dir, 'bench-results-js.json');
    const run = await runExample('bench', {
      args: ['--quick', '--runtime', 'js', '--out', dir],
      timeoutMs: 240_000,
      workerPids: () => [],
    });
    expect(run.code, run.describe()).toBe(0);
    expect(run.stdout).toContain(`== bench, compiled JavaScript under plain node: ${process.execPath}`);
    expect(run.stdout).toMatch(
      new RegExp(`^node ${process.version.replaceAll('.', '\\.')}, compiled JavaScript, `, 'm'),
    );
    expect(run.stdout).toMatch(/^metric +Cohort +baseline \/ peer +ratio +target +met\?/m);
    expect(run.stdout).toContain(`results written to ${out} and ${join(dir, 'bench-results-js.svg')} (quick run)`);

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(results.runtime).toBe('js');
    expect(results.node).toBe(process.version);
    expect(results.nodePath).toBe(process.execPath);
    expect(results.groups).toEqual(GROUPS);
    expect(results.cpu.cores).toBeGreaterThan(0);
    expect(new Set(results.metrics.map((m) => m.group))).toEqual(new Set(GROUPS));
    for (const m of results.metrics) {
      const what = `${m.group}: ${m.name}`;
      // A count of calls lost is 0 when all is well; every other figure is a rate, a time or a size.
      if (/calls lost/.test(m.name)) expect(m.cohort, what).toBeGreaterThanOrEqual(0);
      else expect(m.cohort, what).toBeGreaterThan(0);
      expect(m.samples.cohort.length, what).toBeGreaterThan(0);
      if (m.target.kind === 'ratio' || m.target.kind === 'difference') {
        expect(m.baseline, what).toBeGreaterThan(0);
        expect(m.ratio, what).toBeCloseTo(m.cohort / m.baseline!, 6);
      }
    }
    // The metrics the issues name, each present once per baseline it is compared with.
    const names = results.metrics.map((m) => `${m.group}: ${m.name}`);
    for (const expected of [
      /^rpc: round trip/,
      /^rpc: 256 calls in flight/,
      /^rpc: \d+ MiB/,
      /^rpc: pipe of/,
      /^rpc: round trip, sequential add, encrypted \(TLS 1\.3\)/,
      /^rpc: 256 calls in flight, encrypted \(TLS 1\.3\)/,
      /^rpc: connect and first call, encrypted \(TLS 1\.3\)/,
      /^parallel: spawn to first call$/,
      /^parallel: worker RSS after its first call$/,
      /^parallel: spawn to first call, against a child that loads zod$/,
      /^parallel: round trip, worker\.run/,
      /^parallel: 256 calls in flight, 2 workers$/,
      /^scheduler: .* no-op tasks, 2 workers, whole run, prefetch: \d+$/,
      /^scheduler: per-task overhead, steady state, default \(no prefetch\)$/,
      /^mapreduce: .* tiny items .* whole run$/,
      /^mapreduce: SHA-256 .* speed-up of 2 workers, whole run$/,
      /^pool: .* tiny calls, 256 in flight, pool of 2, concurrency: \d+$/,
      /^pool: .* tiny calls, 256 in flight, pool of 2, concurrency: 1 \(the default\)$/,
      /^pool: SHA-256 .* speed-up of a pool of 2, from the pool ready$/,
      /^pool: .* tiny calls, 256 in flight, pool of 2, concurrency: \d+, recycle: \{ maxCalls: 1,000 \}$/,
      /^pool: chaos, 1 % of calls SIGKILL .*retries: \d+: calls answered$/,
      /^pool: chaos, 1 % of calls SIGKILL .*retries: \d+: calls lost in /,
      /^pool: chaos, 1 % of calls process\.exit\(1\) .*retries: \d+: calls lost in /,
      /^tunnel: round trip through the tunnel/,
      /^tunnel: 256 calls in flight through the tunnel$/,
    ]) {
      expect(
        names.some((name) => expected.test(name)),
        `${expected} in\n${names.join('\n')}`,
      ).toBe(true);
    }
    const peers = results.metrics
      .filter((m) => m.group === 'parallel' && m.name.includes('calls in flight,'))
      .map((m) => m.baselineName);
    expect(peers.filter((name) => name?.startsWith('workerpool'))).toHaveLength(2);
    expect(peers.filter((name) => name?.startsWith('tinypool'))).toHaveLength(2);
    // The pool's tiny calls, against each peer once, with the targets.
    const poolPeers = results.metrics.filter(
      (m) => m.group === 'pool' && /tiny calls/.test(m.name) && m.target.kind === 'ratio' && !/recycle/.test(m.name),
    );
    expect(
      poolPeers.map((m) => [m.baselineName?.split(',')[0], m.target.kind === 'ratio' ? m.target.limit : null]),
    ).toEqual([
      ['workerpool', 5],
      ['tinypool', 5],
      ['piscina', 1],
    ]);

    const chart = readFileSync(join(dir, 'bench-results-js.svg'), 'utf8');
    expect(chart.trimStart()).toMatch(/^<svg[\s>]/);
  });

  it('runs the TypeScript sources under tsx on the Node that BENCH_NODE names, and bench:readme tables its results', {
    timeout: 200_000,
  }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-bench-test-'));
    const run = await runExample('bench', {
      args: ['--quick', '--runtime', 'tsx', '--out', dir, 'rpc'],
      env: { ...process.env, BENCH_NODE: process.execPath },
      timeoutMs: 150_000,
      workerPids: () => [],
    });
    expect(run.code, run.describe()).toBe(0);
    expect(run.stdout).toContain(`== bench, TypeScript sources under tsx: ${process.execPath}`);
    expect(run.stdout).toMatch(
      new RegExp(`^node ${process.version.replaceAll('.', '\\.')}, TypeScript under tsx, `, 'm'),
    );
    const results = JSON.parse(readFileSync(join(dir, 'bench-results-tsx.json'), 'utf8')) as BenchResults;
    expect(results.runtime).toBe('tsx');
    expect(results.groups).toEqual(['rpc']);

    // The README's tables come from such files: one heading and one row per metric, between the markers only.
    const readme = `# title\n\nbefore\n${START_MARKER}\nstale table\n${END_MARKER}\nafter\n`;
    const written = renderReadmeTables(readme, [results, results]);
    expect(written.startsWith(`# title\n\nbefore\n${START_MARKER}\n`)).toBe(true);
    expect(written.endsWith(`${END_MARKER}\nafter\n`)).toBe(true);
    expect(written).not.toContain('stale table');
    expect(written.split(`**Node.js ${results.node}, TypeScript under tsx**`)).toHaveLength(3);
    for (const m of results.metrics) expect(written).toContain(`| ${m.group}: ${m.name} |`);
    expect(renderReadmeTables(written, [results])).toBe(renderReadmeTables(readme, [results]));
  });
});
