import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { CohortError } from '../errors.js';
import { WORKER_MARKER } from '../parallel/bootstrap.js';
import type { ExitStatus } from '../process/exit-status.js';
import { closeOutputFd, forwardLines, keepTail, outputStdio } from '../process/output.js';
import type { Host, LaunchedProcess, LaunchRequest } from './host.js';

/** File descriptors of the two pipes a local worker gets besides stdio. */
export const CONTROL_FD = 3;
export const LIFELINE_FD = 4;

/** Runs workers as child processes of this one. */
export function localHost(): Host {
  return {
    name: 'local',
    launch: (request) => Promise.resolve(launchLocal(request)),
  };
}

const CHDIR_PRELOAD = '--import=data:text/javascript,process.chdir(';

/** The spawner's Node flags without the preload that moved it (a worker's own workers get their own, or none). */
export function withoutChdirPreload(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !arg.startsWith(CHDIR_PRELOAD));
}

/** The last Node flag of a worker that starts in one directory and must run in `target`. */
export function chdirPreload(target: string): string {
  return `${CHDIR_PRELOAD}${encodeURIComponent(`${JSON.stringify(target)});`)}`;
}
/** Environment variable that tells a worker where the app's root started; removed once read, like the marker. */
export const LAUNCH_DIR_VARIABLE = 'COHORT_LAUNCH_DIR';

/**
 * Node resolves `--import`/`--require` specifiers (tsx and other loaders) against the directory it starts in, so
 * every worker of the app starts where the app's root program started (a worker passes the place on to its own
 * workers in the environment) and then moves to its working directory from one last preload, after the loaders and
 * before the entry script runs. Read once, when this module loads: before the program could move. Only a worker
 * trusts the variable: another program started from a worker is a root of its own.
 */
export const launchDir = (process.env[WORKER_MARKER] === '1' ? process.env[LAUNCH_DIR_VARIABLE] : undefined) ?? process.cwd();

/** The flags and start directory of a worker that must end up in `cwd` (default: where the spawner is now). */
function placement(request: LaunchRequest): { execArgv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const execArgv = withoutChdirPreload(request.execArgv);
  const target = resolve(request.cwd ?? process.cwd());
  if (target !== launchDir) execArgv.push(chdirPreload(target));
  return { execArgv, cwd: launchDir, env: { ...request.env, [LAUNCH_DIR_VARIABLE]: launchDir } };
}

function launchLocal(request: LaunchRequest): LaunchedProcess {
  const out = outputStdio(request.stdout);
  const err = outputStdio(request.stderr);
  let child: ChildProcess;
  try {
    // fd 3: control channel (bootstrap, ready, failures). fd 4: lifeline, never written: its end-of-file tells the
    // worker its spawner is gone, even if the spawner was SIGKILLed.
    const where = placement(request);
    child = spawn(request.execPath, [...where.execArgv, request.entry, ...request.args], {
      cwd: where.cwd,
      env: where.env,
      stdio: ['ignore', out.stdio, err.stdio, 'pipe', 'pipe'],
    });
  } finally {
    closeOutputFd(out.fd);
    closeOutputFd(err.fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new CohortError('SPAWN_FAILED', `could not start worker "${request.name}": ${request.execPath} could not be executed`, {
      worker: request.name,
    });
  }
  let prefix = `[${request.name}] `;
  if (child.stdout !== null) forwardLines(child.stdout, process.stdout, () => prefix);
  if (child.stderr !== null) forwardLines(child.stderr, process.stderr, () => prefix);
  const stderrTail = keepTail(child.stderr);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const control = child.stdio[CONTROL_FD] as Duplex;
  const lifeline = child.stdio[LIFELINE_FD] as Duplex;
  lifeline.on('error', () => undefined);
  control.on('error', () => undefined);
  return {
    pid,
    control,
    exited,
    transport: 'unix',
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stderrTail,
    release: () => {
      control.destroy();
      lifeline.destroy();
    },
    rename: (name) => {
      prefix = `[${name}] `;
    },
    hold: (held) => {
      for (const handle of [child, control, lifeline, child.stdout, child.stderr]) {
        if (handle === null) continue;
        const refable = handle as { ref?: () => void; unref?: () => void };
        if (held) refable.ref?.();
        else refable.unref?.();
      }
    },
  };
}
