// Preloaded (`--import`) into the master and, through the flags Cohort passes on, into every worker and baseline
// child of a start-breakdown run: records when each step of a process's start happens, as epoch milliseconds, and
// writes them to START_MARKS_DIR/<pid>.json when the process exits. It only watches Node's own APIs (it wraps the
// worker-thread constructor and `net.Server#listen` with the step it ends in), so Cohort runs unchanged.
import { writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import workerThreads from 'node:worker_threads';

const marks: Record<string, number> = {};
/** CPU milliseconds of this process's main thread at each mark (where Node has `process.threadCpuUsage`, ≥ 23.9). */
const cpu: Record<string, number> = {};
/** This process's resident set at each mark, MiB: where in the start its memory grows. */
const rss: Record<string, number> = {};
const epoch = (): number => performance.timeOrigin + performance.now();
const threadCpu = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;

/** Records `name` once (the first time), now. */
export function mark(name: string): void {
  if (marks[name] !== undefined) return;
  marks[name] = epoch();
  rss[name] = process.memoryUsage.rss() / 2 ** 20;
  if (threadCpu !== undefined) {
    const usage = threadCpu();
    cpu[name] = (usage.user + usage.system) / 1000;
  }
}

const dir = process.env['START_MARKS_DIR'];
if (dir !== undefined && process.env['START_MARKS_ACTIVE'] !== '0') {
  marks['process start'] = performance.timeOrigin;
  cpu['process start'] = 0;
  mark('node ready (preload runs)');
  (globalThis as { startMark?: (name: string) => void }).startMark = mark;
  // The master takes its marks per sample (its processes' own marks are written once, at their exit).
  (globalThis as { startMarksTake?: () => Record<string, number> }).startMarksTake = () => {
    const taken = { ...marks };
    for (const name of Object.keys(marks)) delete marks[name];
    return taken;
  };

  const OriginalWorker = workerThreads.Worker;
  class MarkedWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      mark('worker thread: constructor called');
      super(...args);
      mark('worker thread: constructor returned');
      this.once('online', () => mark('worker thread: online'));
    }
  }
  workerThreads.Worker = MarkedWorker;

  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    mark('server: listen called');
    this.once('listening', () => mark('server: listening'));
    this.once('connection', () => mark('server: first connection accepted'));
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  // `@cohort/rpc` listens on a Unix socket through the step `listen()` ends in, which it calls directly.
  type ListenStep = (this: net.Server, ...args: unknown[]) => void;
  const serverProto = net.Server.prototype as net.Server & { _listen2?: ListenStep };
  const listenStep = serverProto._listen2;
  if (listenStep !== undefined) {
    serverProto._listen2 = function (this: net.Server, ...args: unknown[]) {
      mark('server: listen called');
      this.once('listening', () => mark('server: listening'));
      this.once('connection', () => mark('server: first connection accepted'));
      listenStep.apply(this, args);
    };
  }

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    mark('client: connect called');
    this.once('connect', () => mark('client: connected'));
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;

  // Make `import { Worker } from 'node:worker_threads'` (as a bundle does) see the wrapper too.
  syncBuiltinESMExports();
  process.once('exit', () =>
    writeFileSync(
      `${dir}/${process.pid}.json`,
      JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), marks, cpu, rss }),
    ),
  );
}
