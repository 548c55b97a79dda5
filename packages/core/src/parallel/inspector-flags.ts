import { createServer } from 'node:net';
import { CohortError } from '../common/errors.js';

/**
 * The `inspect` process option: whether a worker runs with Node's inspector, and how.
 * - `undefined` (default): as the master does. A master started with `--inspect`, `--inspect-brk` or
 *   `--inspect-wait` gives each worker the same mode on the same interface, on a port of its own.
 * - `false`: never, even when the master is inspected.
 * - `true`: inspected (`--inspect`), this worker alone if the master is not.
 * - `{ host?, brk?, wait? }`: `host` the interface (default the master's, else 127.0.0.1); `brk` stops before the
 *   worker's first line and `wait` waits for a debugger without stopping: either way the worker reports ready only
 *   once a debugger has attached, within `spawnTimeoutMs`.
 *
 * The port is a free one the worker's system picks, or the first free one from the `inspectPortStart` option. Node
 * prints it on the worker's stderr (`Debugger listening on ws://127.0.0.1:40123/…`), which the default
 * `stderr: 'inherit'` shows prefixed with the worker's name.
 */
export type InspectOption = boolean | { host?: string; brk?: boolean; wait?: boolean };

type Mode = 'inspect' | 'brk' | 'wait';

/** A worker's inspector flags, and what to do once it has exited. */
export interface WorkerInspector {
  /** The master's flags without its inspector flags, then the worker's own. */
  readonly execArgv: string[];
  /** `brk` and `wait` hold the worker until a debugger attaches (spawn errors say so). */
  readonly mode: Mode | undefined;
  /** The inspector's `host:port` when this process chose the port (`inspectPortStart`); else the worker's system picks it. */
  readonly address: string | undefined;
  /** Frees the worker's chosen port for another worker (call once its process is gone). */
  release(): void;
}

const INSPECT_FLAG = /^--inspect(?:-(brk|wait))?(?:=(.*))?$/;
const PORT_FLAG = /^--(?:inspect-port|debug-port)(?:=(.*))?$/;

/**
 * The master's inspector settings found in its flags, and its flags without them. Each worker must get its own
 * port: with the master's flags as they are, every worker would try the master's port (9229 by default) and run
 * without an inspector ("address already in use").
 */
export function splitInspectFlags(execArgv: readonly string[]): {
  rest: string[];
  mode: Mode | undefined;
  host: string | undefined;
} {
  const rest: string[] = [];
  let mode: Mode | undefined;
  let host: string | undefined;
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const inspect = INSPECT_FLAG.exec(flag);
    const port = inspect === null ? PORT_FLAG.exec(flag) : null;
    if (inspect === null && port === null) {
      rest.push(flag);
      continue;
    }
    if (inspect !== null) mode = (inspect[1] as Mode | undefined) ?? 'inspect';
    // `--inspect-port 9230` takes the next argument; `--inspect` only ever `=value`.
    const value = inspect !== null ? inspect[2] : (port![1] ?? execArgv[++i]);
    host = hostOf(value) ?? host;
  }
  return { rest, mode, host };
}

/** The host of `[host:]port`, when there is one. */
function hostOf(value: string | undefined): string | undefined {
  if (value === undefined || /^\d+$/.test(value)) return undefined;
  const colon = value.lastIndexOf(':');
  const host = colon === -1 ? value : value.slice(0, colon);
  return host === '' ? undefined : host.replace(/^\[(.*)\]$/, '$1');
}

/** Ports handed to live workers, per host name: the workers of an `inspectPortStart` each get the next free one. */
const portsInUse = new Set<string>();

function takePort(hostName: string, start: number, where: string): { port: number; release(): void } {
  let port = start;
  while (portsInUse.has(`${hostName} ${port}`)) port++;
  if (port > 65535)
    throw new CohortError('INVALID_ARGUMENT', `${where}: no inspector port left from ${start} on ${hostName}`);
  const key = `${hostName} ${port}`;
  portsInUse.add(key);
  return { port, release: () => portsInUse.delete(key) };
}

/**
 * The inspector flags of one worker: the master's flags without its inspector ones, plus the worker's. `portStart`
 * is the `inspectPortStart` option; `hostName` names the machine the port is on (`local`, `ssh:…`), `where` the
 * call, for errors.
 */
export function workerInspector(
  masterExecArgv: readonly string[],
  option: InspectOption | undefined,
  portStart: number | undefined,
  hostName: string,
  where: string,
): WorkerInspector {
  const master = splitInspectFlags(masterExecArgv);
  const none: WorkerInspector = {
    execArgv: master.rest,
    mode: undefined,
    address: undefined,
    release: () => undefined,
  };
  if (option === false || (option === undefined && master.mode === undefined)) return none;
  const settings = typeof option === 'object' ? option : {};
  if (settings.brk === true && settings.wait === true) {
    throw new CohortError('INVALID_ARGUMENT', `${where}: option inspect: brk and wait exclude each other`);
  }
  const mode: Mode =
    option === undefined ? master.mode! : settings.brk === true ? 'brk' : settings.wait === true ? 'wait' : 'inspect';
  // Port 0: the worker's system picks a free port (on the worker's machine), which Node prints on its stderr.
  const taken =
    portStart !== undefined && portStart > 0
      ? takePort(hostName, portStart, where)
      : { port: 0, release: () => undefined };
  const host = settings.host ?? master.host;
  const address = host === undefined ? `${taken.port}` : `${host.includes(':') ? `[${host}]` : host}:${taken.port}`;
  const flag = mode === 'inspect' ? '--inspect' : `--inspect-${mode}`;
  return {
    execArgv: [...master.rest, `${flag}=${address}`],
    mode,
    address: taken.port === 0 ? undefined : `${host ?? '127.0.0.1'}:${taken.port}`,
    release: taken.release,
  };
}

/** Whether `port` can be listened on, on this machine's `host`: a port another program holds is skipped. */
function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * {@link workerInspector} for a worker of this machine: a port from `inspectPortStart` that another program
 * already holds is skipped (with it, the worker would run without an inspector, saying "address already in use").
 */
export async function localWorkerInspector(
  masterExecArgv: readonly string[],
  option: InspectOption | undefined,
  portStart: number | undefined,
  where: string,
): Promise<WorkerInspector> {
  let start = portStart;
  for (;;) {
    const inspector = workerInspector(masterExecArgv, option, start, 'local', where);
    if (inspector.address === undefined) return inspector;
    const colon = inspector.address.lastIndexOf(':');
    const port = Number(inspector.address.slice(colon + 1));
    if (await canListen(inspector.address.slice(0, colon), port)) return inspector;
    inspector.release();
    start = port + 1;
  }
}
