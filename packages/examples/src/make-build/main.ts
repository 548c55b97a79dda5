// A make-like build on Cohort's Scheduler: twelve targets, each a task run in a worker process (up to --jobs at
// once), started as soon as its dependencies are built, skipped when one of them fails (make -k). One step hangs
// and ignores SIGTERM: its term timeout, then its kill timeout, end it. At the end: a summary and a trace file.
// Run (from the repo root): npx pnpm@10 --filter @cohort/examples exec tsx src/make-build/main.ts [--jobs N]
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Scheduler, showProcessStatus, startApp, type AddTaskOptions, type Timer } from '@cohort/core';
import { parseBuildArgs, usage, UsageError, type BuildArgs } from './args.js';
import type { Artifact } from './artifact.js';
import { BuildLog } from './build-log.js';
import { BuildState } from './build-state.js';
import { formatBytes, formatSeconds } from './format.js';
import { targets, type Target } from './graph.js';
import { Inputs, Note, Progress } from './messages.js';
import { steps } from './steps.js';
import { summaryTable } from './summary.js';
import type { TargetRun } from './target-run.js';

// In a worker, this serves the steps defined above (steps.ts) and never returns.
await startApp();

const STATUS_EVERY_MS = 1000;
const WORKER_KILL_TIMEOUT_MS = 5000;

function readArgs(): BuildArgs {
  try {
    return parseBuildArgs(
      process.argv.slice(2),
      targets.map((t) => t.name),
    );
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    process.exit(2);
  }
}
const args = readArgs();

const buildDir = await mkdtemp(join(tmpdir(), 'cohort-make-build-'));
const tracePath = resolve(args.trace ?? join(tmpdir(), `cohort-make-build-trace-${process.pid}.json`));
const state = new BuildState<Artifact>(targets);
const runs = new Map<string, TargetRun>(targets.map((t) => [t.name, { percent: 0, note: '' }]));
const workerIndexByPid = new Map<number, number>();
const scheduler = new Scheduler();
let interrupted = false;

const log: BuildLog = new BuildLog(process.stdout.isTTY === true && process.env['CI'] === undefined, (): string => {
  const running = state.named('running').map((name) => {
    const { percent, note } = runs.get(name)!;
    return note === '' ? name : `${name} ${percent}% (${note})`;
  });
  const waiting = state.named('waiting').length + state.named('queued').length;
  const settled = targets.length - waiting - running.length;
  return `${formatSeconds(log.elapsedMs())}: ${settled}/${targets.length} done; running ${running.join(', ') || 'nothing'}; ${waiting} waiting`;
});

/** Queues every target whose dependencies are now all built: the graph unfolds from each onFinish. */
function enqueueReady(): void {
  if (interrupted) return;
  for (const target of state.takeReady()) {
    scheduler.addTask(
      steps.get(target.name)!,
      { fail: args.fail === target.name, hang: args.hang && target.hangs === true },
      stepOptions(target),
    );
  }
}

function stepOptions(target: Target): AddTaskOptions<Artifact> {
  const run = runs.get(target.name)!;
  const { termTimeoutMs, killTimeoutMs } = target;
  return {
    ...(termTimeoutMs === undefined ? {} : { termTimeoutMs }),
    ...(killTimeoutMs === undefined ? {} : { killTimeoutMs }),
    onStart: (ctx) => {
      state.markRunning(target.name);
      run.startedAtMs = log.elapsedMs();
      run.worker = workerIndexByPid.get(ctx.workerPid);
      log.event('start', `${target.name} on worker ${run.worker ?? '?'} (pid ${ctx.workerPid})`);
      // The step waits for this (ctx.receive) before it starts: only here are its dependencies' outputs known.
      ctx.send(Inputs, { buildDir, artifacts: state.outputsFor(target) });
    },
    onMessage: (_ctx, message) => {
      if (Progress.is(message)) {
        run.percent = message.value.percent;
        run.note = message.value.note;
        log.progress(target.name, run.percent, run.note);
      } else if (Note.is(message)) log.line(`         ${target.name}: ${message.value}`);
    },
    onTermTimeout: () => {
      run.timedOut = 'term';
      log.event('SIGTERM', `${target.name}: still running ${formatSeconds(termTimeoutMs ?? 0)} after it started`);
    },
    onKillTimeout: () => {
      run.timedOut = 'kill';
      const after = termTimeoutMs === undefined ? 'after it started' : 'after SIGTERM';
      log.event('SIGKILL', `${target.name}: still alive ${formatSeconds(killTimeoutMs ?? 0)} ${after}`);
    },
    onFinish: (result) => {
      run.endedAtMs = log.elapsedMs();
      if (result.ok) {
        state.markBuilt(target.name, result.value);
        const { file, bytes, sha256 } = result.value;
        log.event('built', `${target.name} → ${file} (${formatBytes(bytes)}, sha256 ${sha256.slice(0, 12)})`);
      } else {
        run.error = run.timedOut === 'kill' ? `timed out: ${result.error}` : result.error;
        log.event('failed', `${target.name}: ${run.error}`);
        for (const { target: name, because } of state.markFailed(target.name)) {
          runs.get(name)!.skippedBecause = because;
          log.event('skipped', `${name} (needs ${because})`);
        }
      }
      enqueueReady();
      // run() waits for pending timers: the status report must stop once nothing is left to build.
      if (state.complete) statusTimer?.cancel();
    },
  };
}

// A status report every second while the build runs, on the scheduler's own timers.
let statusTimer: Timer | undefined;
function reportStatus(): void {
  log.tick();
  statusTimer = state.complete || interrupted ? undefined : scheduler.onDelay(STATUS_EVERY_MS, reportStatus);
}
statusTimer = scheduler.onDelay(STATUS_EVERY_MS, reportStatus);

// Ctrl-C: start no new step; running ones get SIGTERM (the terminal sends the workers SIGINT as well).
const onInterrupt = (): void => {
  interrupted = true;
  log.event('stop', 'interrupted: stopping the running steps');
  scheduler.stop();
  scheduler.cancelAllTimers();
};
process.once('SIGINT', onInterrupt);

log.line(
  `make-build: ${targets.length} targets on up to ${args.jobs} worker processes (--jobs ${args.jobs}), in ${buildDir}`,
);
enqueueReady();
let runError: unknown;
try {
  await scheduler.run({
    maxWorkers: args.jobs,
    trace: tracePath,
    workerKillTimeoutMs: WORKER_KILL_TIMEOUT_MS,
    onWorkerSpawn: (worker) => {
      workerIndexByPid.set(worker.pid, worker.index);
      log.event('worker', `worker ${worker.index} up, pid ${worker.pid}`);
    },
    onUnexpectedWorkerExit: (status, worker) =>
      log.event('worker', `worker ${worker.index} (pid ${worker.pid}) ${showProcessStatus(status)}`),
    onWorkerKillTimeout: (worker) =>
      log.event(
        'SIGKILL',
        `worker ${worker.index} (pid ${worker.pid}): not gone ${formatSeconds(WORKER_KILL_TIMEOUT_MS)} after it was told to stop`,
      ),
  });
} catch (error) {
  runError = error;
} finally {
  process.off('SIGINT', onInterrupt);
  log.end();
  await rm(buildDir, { recursive: true, force: true });
}

const failed = state.named('failed');
// The seeded hang is meant to fail, by its kill timeout: any other failure is a broken build.
const unintended = failed.filter(
  (name) => !(state.byName.get(name)!.hangs === true && runs.get(name)!.timedOut === 'kill'),
);
const elapsed = formatSeconds(log.elapsedMs());

log.line('');
log.line(summaryTable(state, runs));
log.line('');
log.line(
  `built ${state.named('built').length}, failed ${failed.length}, skipped ${state.named('skipped').length} in ${elapsed}`,
);
if (runError !== undefined)
  log.line(`the scheduler failed: ${runError instanceof Error ? runError.message : String(runError)}`);
else if (interrupted) log.line('interrupted');
else if (failed.length > 0 && unintended.length === 0)
  log.line(`the only failure is the intended timeout of ${failed.join(', ')}`);
else if (unintended.length > 0) log.line(`unexpected failures: ${unintended.join(', ')}`);
log.line(`build directory removed: ${buildDir}`);
if (existsSync(tracePath)) log.line(`trace: ${tracePath} (open it in https://ui.perfetto.dev)`);
process.exitCode = runError !== undefined ? 1 : interrupted ? 130 : unintended.length > 0 || !state.complete ? 1 : 0;
