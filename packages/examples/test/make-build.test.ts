// The make-build example, run as a user runs it: a real process with real workers, signals and files. Each run
// checks afterwards that no process it started is alive (inside runMakeBuild).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targets } from '../src/make-build/graph.js';
import { maxConcurrent, readChromeTrace, type Trace } from './make-build/chrome-trace.js';
import { runMakeBuild, type ExampleRun } from './make-build/run-example.js';

const dir = mkdtempSync(join(tmpdir(), 'make-build-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HANGS = 'integration-test';
const AFTER_HANG = ['coverage-report', 'publish'];

function event(run: ExampleRun, kind: string, startsWith: string): number {
  const found = run.events.find((e) => e.kind === kind && e.text.startsWith(startsWith));
  if (found === undefined)
    throw new Error(`no "${kind}" line starting "${startsWith}" in:\n${run.stdout}\n${run.stderr}`);
  return found.line;
}

function named(run: ExampleRun, kind: string): string[] {
  return run.events.filter((e) => e.kind === kind).map((e) => e.text.split(/[ :]/)[0]!);
}

/** The build directory it announced on its first line is gone. */
function expectBuildDirRemoved(run: ExampleRun): void {
  const buildDir = / in (\/\S+)$/.exec(run.lines[0] ?? '')?.[1];
  expect(buildDir, run.lines[0]).toBeDefined();
  expect(existsSync(buildDir!)).toBe(false);
  expect(run.stdout).toContain(`build directory removed: ${buildDir}`);
}

/** Every slice starts after the slices of its target's dependencies ended; at most `jobs` run at once. */
function expectTraceFollowsGraph(trace: Trace, jobs: number): void {
  const byName = new Map(trace.slices.map((s) => [s.name, s]));
  for (const slice of trace.slices) {
    const target = targets.find((t) => t.name === slice.name);
    expect(target, `slice ${slice.name}`).toBeDefined();
    for (const dep of target!.deps) {
      const before = byName.get(dep)!;
      expect(before.ts + before.dur, `${dep} ends before ${slice.name} starts`).toBeLessThanOrEqual(slice.ts);
    }
  }
  expect(maxConcurrent(trace.slices)).toBeLessThanOrEqual(jobs);
  for (const slice of trace.slices)
    expect(trace.threads.get(slice.tid), `track of ${slice.name}`).toMatch(/^scheduler-worker-\d+$/);
}

describe('make-build example', () => {
  it('builds the graph on 2 workers; the hanging step gets SIGTERM, then SIGKILL, and what needs it is skipped; exit 0', async () => {
    const tracePath = join(dir, 'default-trace.json');
    const run = await runMakeBuild(['--trace', tracePath]);
    expect(run.code, run.stdout + run.stderr).toBe(0);

    // The timeout, in order: the scheduler's SIGTERM, the step saying it ignores it, the SIGKILL, the failure.
    const term = event(run, 'SIGTERM', `${HANGS}: still running 1.5 s after it started`);
    const ignored = run.lines.findIndex((l) => l.includes(`${HANGS}: got SIGTERM: ignored`));
    const kill = event(run, 'SIGKILL', `${HANGS}: still alive 1.0 s after SIGTERM`);
    const failed = event(run, 'failed', `${HANGS}: timed out:`);
    expect(run.lines[failed]).toMatch(/\(pid \d+\) was killed by SIGKILL$/);
    expect(term).toBeLessThan(ignored);
    expect(ignored).toBeLessThan(kill);
    expect(kill).toBeLessThan(failed);

    // make -k: everything that does not need the hanging step is built; what needs it is skipped, not run.
    const skipped = targets.filter((t) => AFTER_HANG.includes(t.name)).map((t) => t.name);
    const built = targets.map((t) => t.name).filter((name) => name !== HANGS && !skipped.includes(name));
    expect(named(run, 'built').sort()).toEqual([...built].sort());
    expect(named(run, 'failed')).toEqual([HANGS]);
    expect(named(run, 'skipped')).toEqual(skipped);
    expect(named(run, 'start')).not.toContain('coverage-report');
    expect(run.stdout).toContain('skipped coverage-report (needs integration-test)');
    expect(run.stdout).toContain(`built ${built.length}, failed 1, skipped ${skipped.length} in `);
    expect(run.stdout).toContain(`the only failure is the intended timeout of ${HANGS}`);

    // Progress messages are shown as they come, while their step runs; the periodic status line too.
    const compileStart = event(run, 'start', 'compile-core');
    const compileProgress = run.lines.findIndex((l) => /^\s+compile-core\s+50%\s+compressed \d+\/\d+ chunks$/.test(l));
    expect(compileProgress).toBeGreaterThan(compileStart);
    expect(compileProgress).toBeLessThan(event(run, 'built', 'compile-core'));
    expect(run.lines.some((l) => /^\s+… [\d.]+ s: \d+\/12 done; running /.test(l))).toBe(true);

    // Workers: at most --jobs of them at a time, each reported with its pid (all checked gone by runMakeBuild).
    expect(run.workerPids.length).toBeGreaterThanOrEqual(1);
    expect(run.checkedPids).toEqual(expect.arrayContaining([...run.workerPids]));

    expect(run.stdout).toContain(`trace: ${tracePath} (open it in https://ui.perfetto.dev)`);
    const trace = readChromeTrace(tracePath);
    expect(trace.processName).toBe('cohort scheduler');
    expect(trace.slices.map((s) => s.name).sort()).toEqual([...built, HANGS].sort());
    expect(trace.slices.find((s) => s.name === HANGS)!.args?.['result']).toMatch(/^error: .*was killed by SIGKILL/);
    expectTraceFollowsGraph(trace, 2);
    expectBuildDirRemoved(run);
  });

  it('without the seeded hang, builds all 12 targets with --jobs 3', async () => {
    const tracePath = join(dir, 'no-hang-trace.json');
    const run = await runMakeBuild(['--no-hang', '--jobs', '3', '--trace', tracePath]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('on up to 3 worker processes (--jobs 3)');
    expect(named(run, 'built').sort()).toEqual(targets.map((t) => t.name).sort());
    expect(named(run, 'failed')).toEqual([]);
    expect(run.stdout).not.toContain('SIGTERM');
    expect(run.stdout).toContain('coverage-report 100%  4/4 checks passed');
    expect(run.stdout).toContain(`built ${targets.length}, failed 0, skipped 0 in `);
    const trace = readChromeTrace(tracePath);
    expect(trace.slices).toHaveLength(targets.length);
    expectTraceFollowsGraph(trace, 3);
    expectBuildDirRemoved(run);
  });

  it('exits 1 when a step fails for real, skipping everything that needs it and building the rest', async () => {
    const run = await runMakeBuild(['--fail', 'compile-rpc', '--trace', join(dir, 'fail-trace.json')]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('compile-rpc: injected failure (--fail compile-rpc)');
    expect(named(run, 'failed')).toEqual(['compile-rpc']);
    expect(named(run, 'skipped')).toEqual([
      'link',
      'unit-test',
      'integration-test',
      'package',
      'coverage-report',
      'publish',
    ]);
    expect(named(run, 'built').sort()).toEqual(['compile-cli', 'compile-core', 'configure', 'generate', 'parse']);
    expect(run.stdout).toContain('unexpected failures: compile-rpc');
    expectBuildDirRemoved(run);
  });

  it('rejects a bad --jobs with the usage text and exit code 2, before starting anything', async () => {
    const run = await runMakeBuild(['--jobs', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--jobs takes a whole number ≥ 1, got "0"');
    expect(run.stderr).toContain('usage: make-build');
    expect(run.workerPids).toEqual([]);
  });
});
