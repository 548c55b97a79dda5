// The floor of any tunnel: what one relay process costs a round trip when it does nothing but copy bytes. A bare
// echo server (one child) is reached two ways from this process: directly by TCP on 127.0.0.1, and through a bare
// relay (a second child) that copies its stdin to the echo server's Unix socket and the socket's bytes to its
// stdout. That is the tunnel's topology (master ⇄ pipes ⇄ agent ⇄ Unix socket ⇄ worker against master ⇄ TCP ⇄
// worker) without framing, flow control or RPC: the latency that remains is the relay's wake-ups alone.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ECHO_SOURCE = `
const net = require('node:net');
const serve = (socket) => { socket.setNoDelay(true); socket.on('data', (bytes) => socket.write(bytes)); };
const tcp = net.createServer(serve).listen(0, '127.0.0.1', () => {
  net.createServer(serve).listen(process.argv[1], () => process.stdout.write(tcp.address().port + '\\n'));
});
process.stdin.on('end', () => process.exit(0)).resume();
`;

// Copies both ways at once, as the agent does; exits when its stdin ends (this process gone).
const RELAY_SOURCE = `
const socket = require('node:net').connect(process.argv[1]);
socket.setNoDelay(true);
process.stdin.on('data', (bytes) => socket.write(bytes));
process.stdin.on('end', () => process.exit(0));
socket.on('data', (bytes) => process.stdout.write(bytes));
`;

/** One route to the echo server: sends a message and resolves when its echo is back. */
interface Route {
  roundTrip(message: Buffer): Promise<void>;
}

function routeOver(write: (bytes: Buffer) => void, readable: NodeJS.ReadableStream): Route {
  let expected = 0;
  let received = 0;
  let done: (() => void) | undefined;
  readable.on('data', (bytes: Buffer) => {
    received += bytes.length;
    if (received >= expected && done !== undefined) {
      const resolve = done;
      done = undefined;
      resolve();
    }
  });
  return {
    roundTrip: (message) =>
      new Promise<void>((resolve) => {
        expected = message.length;
        received = 0;
        done = resolve;
        write(message);
      }),
  };
}

export interface BareRelay {
  /** µs per sequential round trip of a 64-byte message, over `trips` trips, on each route. */
  sample(trips: number): Promise<{ direct: number; relayed: number }>;
  close(): Promise<void>;
}

export async function startBareRelay(): Promise<BareRelay> {
  const socketPath = join(tmpdir(), `cohort-bench-relay-${process.pid}.sock`);
  rmSync(socketPath, { force: true });
  const children: ChildProcess[] = [];
  const start = (source: string): ChildProcess => {
    const child = spawn(process.execPath, ['-e', source, socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    return child;
  };
  const close = async (): Promise<void> => {
    for (const child of children) child.stdin?.end();
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      }),
    );
    rmSync(socketPath, { force: true });
  };
  try {
    const echo = start(ECHO_SOURCE);
    const [portLine] = (await once(echo.stdout!, 'data')) as [Buffer];
    const tcp = net.connect(Number(portLine.toString('utf8').trim()), '127.0.0.1');
    tcp.setNoDelay(true);
    await once(tcp, 'connect');
    const relay = start(RELAY_SOURCE);
    const routes = {
      direct: routeOver((bytes) => tcp.write(bytes), tcp),
      relayed: routeOver((bytes) => relay.stdin!.write(bytes), relay.stdout!),
    };
    const message = Buffer.alloc(64, 1);
    const timed = async (route: Route, trips: number): Promise<number> => {
      const begin = performance.now();
      for (let i = 0; i < trips; i++) await route.roundTrip(message);
      return ((performance.now() - begin) * 1000) / trips;
    };
    // The relay's first message waits for its socket to connect: take it before any sample.
    await timed(routes.relayed, 10);
    return {
      sample: async (trips) => ({
        direct: await timed(routes.direct, trips),
        relayed: await timed(routes.relayed, trips),
      }),
      close: async () => {
        tcp.destroy();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
