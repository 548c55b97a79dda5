// `pnpm demo`: a tour of Cohort in under a minute. Run: pnpm demo (from the repo root).
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CohortError, MapReduce, Scheduler, showProcessStatus, startApp, type TaskResult } from '@cohort/core';
import type { RpcError } from '@cohort/rpc';
import { Hasher, Progress, Step, WordCount } from './definitions.js';
import { textFiles } from './files.js';
import { bar, bold, cyan, done, dim, green, red, say, section, status, table } from './terminal.js';

await startApp();

const summary: string[][] = [];
const started = performance.now();
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

say(
  bold('Cohort demo') + dim(` — typed worker processes, streams, map-reduce and a task scheduler (pid ${process.pid})`),
);

// 1. Typed workers ------------------------------------------------------------------------------------------
section('1. Spawning typed workers and calling them');
let t = performance.now();
const [sha256, sha1] = await Promise.all([
  Hasher.spawn({ init: { algorithm: 'sha256' }, name: 'sha256' }),
  Hasher.spawn({ init: { algorithm: 'sha1' }, name: 'sha1' }),
]);
say(`spawned ${cyan(sha256.name)} (pid ${sha256.pid}) and ${cyan(sha1.name)} (pid ${sha1.pid}) in ${seconds(t)}`);
say(
  `hash('cohort') = ${await sha256.run(Hasher.functions.hash, 'cohort')} on sha256, ${await sha1.run(Hasher.functions.hash, 'cohort')} on sha1`,
);
t = performance.now();
const calls = 20_000;
await Promise.all(
  Array.from({ length: calls }, (_, i) => (i % 2 === 0 ? sha256 : sha1).run(Hasher.functions.hash, `item ${i}`)),
);
const callsPerSecond = Math.round(calls / ((performance.now() - t) / 1000));
say(
  `${calls} typed calls in flight across both workers: ${green(`${callsPerSecond.toLocaleString('en-US')} calls/s`)}`,
);
summary.push(['typed calls', `${calls} calls`, `${callsPerSecond.toLocaleString('en-US')} calls/s`]);

// 2. A stream -----------------------------------------------------------------------------------------------
section('2. Streaming: primes below 2 000 000 from a worker, with per-stream flow control');
t = performance.now();
let count = 0;
let last = 0;
for await (const prime of await sha256.run(Hasher.functions.primes, 2_000_000)) {
  count++;
  last = prime;
  if (count % 20_000 === 0) status(`${count.toLocaleString('en-US')} primes so far, latest ${prime}`);
}
done();
say(`${count.toLocaleString('en-US')} primes streamed in ${seconds(t)}, the largest is ${last}`);
summary.push(['stream', `${count} items`, seconds(t)]);

// 3. Map-reduce over real files -----------------------------------------------------------------------------
section('3. Map-reduce: word count over the text files in node_modules');
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../node_modules');
t = performance.now();
let files = 0;
const counts = await MapReduce.mapReduceCommutative(WordCount, textFiles(root, 1500), {
  param: { minLength: 5 },
  workers: 2,
  onProgress: ({ done: mapped }) => {
    files = mapped;
    status(`${bar(Math.min(1, mapped / 1500))} ${mapped} files mapped`);
  },
});
done();
const top = Object.entries(counts ?? {})
  .sort((a, b) => b[1] - a[1])
  .slice(0, 8)
  .map(([word, n]) => `${word} ${dim(String(n))}`);
say(`${files} files in ${seconds(t)}; most frequent: ${top.join(', ')}`);
summary.push(['map-reduce', `${files} files`, seconds(t)]);

// 4. The scheduler ------------------------------------------------------------------------------------------
section('4. Scheduler: a small build graph on 2 worker processes, one step stuck (SIGTERM, then SIGKILL)');
const graph: Record<string, string[]> = {
  parse: [],
  'compile-core': ['parse'],
  'compile-rpc': ['parse'],
  'compile-cli': ['parse'],
  link: ['compile-core', 'compile-rpc', 'compile-cli'],
  'unit-tests': ['link'],
  'integration-tests': ['link'],
  package: ['unit-tests'],
};
const stuck = 'integration-tests';
const finished = new Map<string, TaskResult<string>>();
const queued = new Set<string>();
const scheduler = new Scheduler();
const trace = join(tmpdir(), `cohort-demo-trace-${process.pid}.json`);
const progress = new Map<string, number>();
const showProgress = (): void =>
  status([...progress].map(([step, percent]) => `${step} ${percent}%`).join('  ') || 'waiting for workers');

const enqueueReady = (): void => {
  for (const [step, deps] of Object.entries(graph)) {
    if (queued.has(step) || !deps.every((d) => finished.get(d)?.ok === true)) continue;
    queued.add(step);
    scheduler.addTask(
      Step,
      { name: step, ms: 400 + 100 * deps.length, hang: step === stuck },
      {
        ...(step === stuck ? { termTimeoutMs: 1500, killTimeoutMs: 1000 } : {}),
        onStart: () => say(`  ${cyan('start')}  ${step}`),
        onMessage: (_ctx, message) => {
          if (Progress.is(message)) {
            progress.set(message.value.step, message.value.percent);
            showProgress();
          }
        },
        onTermTimeout: () => say(`  ${red('SIGTERM')} ${step}: no answer after 1.5 s`),
        onKillTimeout: () => say(`  ${red('SIGKILL')} ${step}: still alive 1 s after SIGTERM`),
        onFinish: (result) => {
          progress.delete(step);
          finished.set(step, result);
          say(`  ${result.ok ? green('done ') : red('failed')}  ${step}${result.ok ? '' : dim(` (${result.error})`)}`);
          enqueueReady();
        },
      },
    );
  }
};
t = performance.now();
enqueueReady();
await scheduler.run({ maxWorkers: 2, trace });
done();
const failedSteps = [...finished].filter(([, r]) => !r.ok).map(([s]) => s);
say(
  `build finished in ${seconds(t)}: ${finished.size - failedSteps.length} steps ok, failed: ${failedSteps.join(', ') || 'none'}`,
);
summary.push(['scheduler build', `${finished.size} steps`, seconds(t)]);

// 5. Crashes ------------------------------------------------------------------------------------------------
section('5. Crashes are handled, not leaked');
let failure: CohortError | undefined;
const fragile = await Hasher.spawn({
  init: { algorithm: 'sha1' },
  name: 'fragile',
  onFailure: (error) => (failure = error),
  stderr: 'ignore',
});
await fragile.run(Hasher.functions.crashLater, undefined);
const status1 = await fragile.exited;
say(
  `worker "fragile" threw from a timer: onFailure got ${red(failure?.code ?? 'nothing')}; it ${showProcessStatus(status1)}`,
);
const victim = await Hasher.spawn({ init: { algorithm: 'sha1' }, name: 'victim' });
const pending = victim.run(Hasher.functions.sleep, 10_000);
victim.kill('SIGKILL');
try {
  await pending;
} catch (error) {
  say(
    `a call on a worker SIGKILLed mid-call rejects with ${red((error as RpcError).code)}: ${dim((error as Error).message)}`,
  );
}
summary.push(['crashes', '2 workers', 'handled']);

// Shutdown and summary --------------------------------------------------------------------------------------
await Promise.all([sha256.shutdown(), sha1.shutdown(), victim.exited]);
const pids = [sha256.pid, sha1.pid, fragile.pid, victim.pid];
const alive = pids.filter((pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
});
section('Summary');
say(table(['part', 'size', 'result'], summary));
say('');
say(`total ${seconds(started)}; workers still alive: ${alive.length === 0 ? green('none') : red(alive.join(', '))}`);
say(`scheduler trace: ${cyan(trace)} ${dim('(open it in https://ui.perfetto.dev)')}`);
