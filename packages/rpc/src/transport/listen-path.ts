import { tracingChannel } from 'node:diagnostics_channel';
import type { Server as NetServer } from 'node:net';

/** The step `net.Server#listen` ends in, which Node keeps as a legacy alias for code that wraps it. */
interface ListenStep {
  _listen2?: (address: string, port: number, addressType: number, backlog: number) => void;
  _pipeName?: string;
}

const BACKLOG = 511;

/**
 * Listens on the Unix socket `path`, as `server.listen(path)` does. `listen()` first loads `node:cluster` (and
 * `child_process` and `dgram` behind it) to ask whether this process is a cluster worker, whose primary would own
 * the socket: 0.8 MiB and 1.6 ms of every worker's start, measured on Node 24. A process that is no cluster worker
 * (cluster's own test: no `NODE_UNIQUE_ID`) goes straight to `_listen2`, the step `listen()` takes there; the
 * server's `listening` and `error` events, and its tracing channel, are as `listen()` makes them. A cluster worker,
 * or a Node without the step, calls `listen()`.
 */
export function listenOnPath(server: NetServer, path: string): void {
  const step = server as NetServer & ListenStep;
  if (process.env['NODE_UNIQUE_ID'] !== undefined || typeof step._listen2 !== 'function') {
    server.listen(path);
    return;
  }
  const channel = tracingChannel('net.server.listen');
  if (channel.asyncStart.hasSubscribers) channel.asyncStart.publish({ server, options: { path } });
  step._pipeName = path;
  step._listen2(path, -1, -1, BACKLOG);
}
