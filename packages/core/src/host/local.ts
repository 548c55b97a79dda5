import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { CohortError } from '../common/errors.js';
import type { ExitStatus } from '../process/exit-status.js';
import { withCompileCache } from '../process/compile-cache.js';
import { closeOutputFd, drained, forwardLines, keepTail, outputStdio } from '../process/output.js';
import { watchdog } from '../process/watchdog.js';
import {
  chdirPreload,
  CONTROL_FD,
  LAUNCH_DIR_VARIABLE,
  launchDir,
  LIFELINE_FD,
  withoutChdirPreload,
} from '../process/worker-launch.js';
import type { Host, LaunchedProcess, LaunchRequest } from './host.js';
import { childProcess } from '../common/builtins.js';

/** Runs workers as child processes of this one. */
export function localHost(): Host {
  return {
    name: 'local',
    launch: (request) => Promise.resolve(launchLocal(request)),
  };
}

/** The flags and start directory of a worker that must end up in `cwd` (default: where the spawner is now). */
function placement(request: LaunchRequest): { execArgv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const execArgv = withoutChdirPreload(request.execArgv);
  const target = resolve(request.cwd ?? process.cwd());
  const startDir = launchDir();
  if (target !== startDir) execArgv.push(chdirPreload(target));
  return { execArgv, cwd: startDir, env: withCompileCache({ ...request.env, [LAUNCH_DIR_VARIABLE]: startDir }) };
}

/** How long an exited worker's pipes may stay open (a grandchild that inherited them) before it counts as ended. */
const DRAIN_GRACE_MS = 2000;

function launchLocal(request: LaunchRequest): LaunchedProcess {
  const out = outputStdio(request.stdout);
  const err = outputStdio(request.stderr);
  let child: ChildProcess;
  try {
    // fd 3: control channel (bootstrap, ready, failures). fd 4: lifeline, never written: its end-of-file tells the
    // worker its spawner is gone, even if the spawner was SIGKILLed.
    const where = placement(request);
    child = childProcess().spawn(request.execPath, [...where.execArgv, request.entry, ...request.args], {
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
    throw new CohortError(
      'SPAWN_FAILED',
      `could not start worker "${request.name}": ${request.execPath} could not be executed`,
      {
        worker: request.name,
      },
    );
  }
  // Not a worker meant to outlive this process: if it is stuck in a loop when this process dies, the watchdog ends it.
  const watched = !request.detached && watchdog.watch(pid);
  let prefix = `[${request.name}] `;
  if (child.stdout !== null) forwardLines(child.stdout, process.stdout, () => prefix);
  if (child.stderr !== null) forwardLines(child.stderr, process.stderr, () => prefix);
  const stderrTail = keepTail(child.stderr);
  const control = child.stdio[CONTROL_FD] as Duplex;
  const lifeline = child.stdio[LIFELINE_FD] as Duplex;
  const exited = new Promise<ExitStatus>((resolve) => {
    // Resolved once everything the worker wrote before it exited has been read: its output forwarded, its last
    // control reports (why it exits) seen.
    child.once('exit', (code, signal) => {
      // Its pid is free for another process from now on.
      watchdog.forget(pid);
      void Promise.all([child.stdout, child.stderr, control].map((stream) => drained(stream, DRAIN_GRACE_MS))).then(
        () => resolve({ code, signal }),
      );
    });
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  lifeline.on('error', () => undefined);
  control.on('error', () => undefined);
  return {
    pid,
    control,
    exited,
    transport: 'unix',
    watched,
    outliveSpawner: () => watchdog.forget(pid),
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
