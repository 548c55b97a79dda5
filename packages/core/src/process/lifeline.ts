import { Socket } from 'node:net';
import { workerThreads } from '../common/builtins.js';

/**
 * Runs in a worker thread of the worker process, so it keeps working while the main thread is stuck in a
 * synchronous loop. It watches the lifeline (a pipe whose other end only the spawner holds): end-of-file means
 * the spawner is gone. It then asks the main thread to exit 254 and, if the main thread does not manage to within
 * `graceMs` (because it is blocked), kills the whole process.
 *
 * The thread is given as source text so it runs the same whether Cohort is loaded from compiled JS or through a
 * TypeScript loader. It reaches Node built-ins through `process.getBuiltinModule`, which works whether the
 * program's flags make eval code CommonJS or ESM, and it starts with no `execArgv`: loaders such as tsx would
 * only cost it startup time and memory.
 */
const threadSource = `
const net = process.getBuiltinModule('node:net');
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { fd, graceMs } = workerData;
let lost = false;
const onLost = (why) => {
  if (lost) return;
  lost = true;
  parentPort.postMessage(why);
  // Not unref'd: this timer is what keeps the thread alive until the process is gone.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs);
};
const socket = new net.Socket({ fd, readable: true, writable: false });
socket.on('data', () => {});
socket.on('end', () => onLost('the spawner closed the lifeline'));
socket.on('close', () => onLost('the lifeline closed'));
socket.on('error', (error) => onLost('lifeline error: ' + error.message));
`;

export interface LifelineWatch {
  stop(): void;
}

/**
 * Watches the lifeline on `fd`; calls `onLost` on the main thread when the spawner is gone. With `thread`, from a
 * worker thread that also kills the process if the main thread does not exit within `graceMs` (it may be stuck in a
 * loop); without, from the main thread alone, for a worker whose spawner's watchdog does that (see watchdog.ts).
 */
export function watchLifeline(
  fd: number,
  onLost: (why: string) => void,
  { thread, graceMs = 500 }: { thread: boolean; graceMs?: number },
): LifelineWatch {
  if (!thread) return watchOnMainThread(fd, onLost);
  const worker = new (workerThreads().Worker)(threadSource, { eval: true, execArgv: [], workerData: { fd, graceMs } });
  worker.on('message', (why: string) => onLost(why));
  worker.on('error', (error) => onLost(`lifeline thread failed: ${error.message}`));
  // The thread must never be the reason the process stays alive.
  worker.unref();
  return { stop: () => void worker.terminate() };
}

function watchOnMainThread(fd: number, onLost: (why: string) => void): LifelineWatch {
  let lost = false;
  const lose = (why: string): void => {
    if (lost) return;
    lost = true;
    onLost(why);
  };
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on('data', () => undefined);
  socket.on('end', () => lose('the spawner closed the lifeline'));
  socket.on('close', () => lose('the lifeline closed'));
  socket.on('error', (error) => lose(`lifeline error: ${error.message}`));
  // Watching is no reason to stay alive.
  socket.unref();
  return {
    stop: () => {
      lost = true;
      socket.destroy();
    },
  };
}
