// The master's half of the start breakdown: paired samples (A B B A …) of a Cohort spawn → first result and of a
// child that imports zod → ready line, with every process's marks (marks.ts) put on one time line that starts when
// the master calls spawn. Prints the median time line of both, the difference, and the memory of each process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { median } from '../harness.js';
import { residentMiB } from '../parallel/process-memory.js';
import { benchScript } from '../script-url.js';

type Marks = Record<string, number>;

const dir = process.env['START_MARKS_DIR']!;
const samples = Number(process.env['START_SAMPLES'] ?? 20);
const zodChild = fileURLToPath(benchScript('./zod-child', import.meta.url));

/** A process's marks, under `cpu: …` its main thread's CPU milliseconds at each, and under `rss: …` its RSS. */
function marksOf(pid: number): Marks {
  const file = JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as { marks: Marks; cpu: Marks; rss: Marks };
  const prefixed = (prefix: string, values: Marks): Marks =>
    Object.fromEntries(Object.entries(values).map(([name, value]) => [`${prefix}${name}`, value]));
  return { ...file.marks, ...prefixed('cpu: ', file.cpu), ...prefixed('rss: ', file.rss) };
}

/** Reads a file that appears when the process exits: it may lag the exit event by a moment. */
async function waitMarks(pid: number): Promise<Marks> {
  for (let i = 0; i < 100; i++) {
    try {
      return marksOf(pid);
    } catch {
      await sleep(10);
    }
  }
  throw new Error(`no marks from pid ${pid}`);
}

const epoch = (): number => performance.timeOrigin + performance.now();

async function startChild(args: string[]): Promise<{ marks: Marks; rss: number }> {
  const began = epoch();
  const child = spawn(process.execPath, [...process.execArgv, zodChild, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => text.includes('ready') && resolve());
    child.once('exit', () => reject(new Error('zod child exited early')));
  });
  const ready = epoch();
  const rss = await residentMiB(child.pid!);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  await exited;
  const marks = await waitMarks(child.pid!);
  return { marks: { ...relative(marks, began), 'master: ready line read': ready - began }, rss };
}

/** Spawns the probe worker and makes its first call; says when spawn resolved. */
export type SpawnAndCall = (
  withoutLifeline: boolean,
) => Promise<{ pid: number; spawnedAt: number; shutdown(): Promise<unknown> }>;

/** RSS is read this long after the first result, so that whatever the worker starts beside the call has settled. */
const SETTLE_MS = 300;

async function startCohort(
  spawnAndCall: SpawnAndCall,
  withoutLifeline = false,
): Promise<{ marks: Marks; rss: number; settledRss: number }> {
  const take = (globalThis as { startMarksTake?: () => Marks }).startMarksTake!;
  take();
  const began = epoch();
  const worker = await spawnAndCall(withoutLifeline);
  const spawned = worker.spawnedAt;
  const answered = epoch();
  const rss = await residentMiB(worker.pid);
  await sleep(SETTLE_MS);
  const settledRss = await residentMiB(worker.pid);
  const pid = worker.pid as number;
  await worker.shutdown();
  const master = take();
  const marks = await waitMarks(pid);
  return {
    marks: {
      ...relative(marks, began),
      ...Object.fromEntries(Object.entries(relative(master, began)).map(([name, at]) => [`master: ${name}`, at])),
      'master: spawn() resolved': spawned - began,
      'master: first result': answered - began,
    },
    rss,
    settledRss,
  };
}

function relative(marks: Marks, origin: number): Marks {
  return Object.fromEntries(
    Object.entries(marks).map(([name, at]) => [name, /^(cpu|rss): /.test(name) ? at : at - origin]),
  );
}

function timeline(runs: readonly Marks[]): [string, number][] {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run)))];
  const medians = names.map((name): [string, number] => [
    name,
    median(runs.map((run) => run[name]).filter((v): v is number => v !== undefined)),
  ]);
  return medians.sort((a, b) => a[1] - b[1]);
}

export async function measureStarts(type: SpawnAndCall): Promise<void> {
  const zod: Marks[] = [];
  const cohort: Marks[] = [];
  const bare: Marks[] = [];
  const rss: Record<string, number[]> = {
    'zod child': [],
    'zod child + @cohort/core': [],
    'zod child + @cohort/core + an idle worker thread (300 ms after it is online)': [],
    'Cohort worker right after its first call': [],
    [`Cohort worker ${SETTLE_MS} ms after its first call`]: [],
    [`Cohort worker watching no lifeline (shutdownOn: 'shutdown-called'), ${SETTLE_MS} ms after its first call`]: [],
  };
  for (let i = 0; i < 2; i++) {
    await startChild([]);
    await startCohort(type);
  }
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? ['zod', 'cohort'] : ['cohort', 'zod'];
    for (const side of order) {
      if (side === 'zod') {
        const run = await startChild([]);
        zod.push(run.marks);
        rss['zod child']!.push(run.rss);
      } else {
        const run = await startCohort(type);
        cohort.push(run.marks);
        rss['Cohort worker right after its first call']!.push(run.rss);
        rss[`Cohort worker ${SETTLE_MS} ms after its first call`]!.push(run.settledRss);
      }
    }
    const noLifeline = await startCohort(type, true);
    bare.push(noLifeline.marks);
    rss[
      `Cohort worker watching no lifeline (shutdownOn: 'shutdown-called'), ${SETTLE_MS} ms after its first call`
    ]!.push(noLifeline.settledRss);
    rss['zod child + @cohort/core']!.push((await startChild(['--core'])).rss);
    rss['zod child + @cohort/core + an idle worker thread (300 ms after it is online)']!.push(
      (await startChild(['--core', '--thread'])).rss,
    );
  }
  const show = (title: string, runs: readonly Marks[]): void => {
    console.log(`\n${title} (median ms after the master's spawn call, ${runs.length} samples)`);
    let previous = 0;
    const all = timeline(runs);
    const cpuAt = new Map(
      all.filter(([name]) => name.startsWith('cpu: ')).map(([name, ms]) => [name.slice('cpu: '.length), ms]),
    );
    const rssAt = new Map(
      all.filter(([name]) => name.startsWith('rss: ')).map(([name, mib]) => [name.slice('rss: '.length), mib]),
    );
    let previousCpu = 0;
    console.log('   wall ms (step)         worker main-thread CPU ms (step)   RSS MiB');
    for (const [name, at] of all.filter(([n]) => !/^(cpu|rss): /.test(n))) {
      const cpuMs = cpuAt.get(name);
      const cpuText =
        cpuMs === undefined
          ? ''.padEnd(16)
          : `${cpuMs.toFixed(1).padStart(6)} (+${(cpuMs - previousCpu).toFixed(1).padStart(5)})`;
      if (cpuMs !== undefined) previousCpu = cpuMs;
      const mib = rssAt.get(name);
      const rssText = mib === undefined ? ''.padEnd(7) : mib.toFixed(1).padStart(7);
      console.log(
        `  ${at.toFixed(1).padStart(7)} (+${(at - previous).toFixed(1).padStart(5)})  ${cpuText}  ${rssText}  ${name}`,
      );
      previous = at;
    }
  };
  console.log(
    `node ${process.version}, ${process.execArgv.length === 1 ? 'compiled JavaScript' : process.execArgv.join(' ')}`,
  );
  show('child importing zod, ready line', zod);
  show('Cohort worker, spawn → first result', cohort);
  const zodTotal = median(zod.map((m) => m['master: ready line read']!));
  const cohortTotal = median(cohort.map((m) => m['master: first result']!));
  const bareTotal = median(bare.map((m) => m['master: first result']!));
  show(`Cohort worker watching no lifeline (shutdownOn: 'shutdown-called'), spawn → first result`, bare);
  console.log(
    `\ntotal: Cohort ${cohortTotal.toFixed(1)} ms, zod child ${zodTotal.toFixed(1)} ms: Cohort's share ${(cohortTotal - zodTotal).toFixed(1)} ms; watching no lifeline ${bareTotal.toFixed(1)} ms`,
  );
  console.log('\nRSS (median MiB)');
  for (const [name, values] of Object.entries(rss)) console.log(`  ${median(values).toFixed(1).padStart(6)}  ${name}`);
}
