// Shared test plumbing: temp dirs, real servers and clients on both transports, raw (hostile) peers speaking the
// wire format by hand, child processes running fixtures, and waiting for observable events.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import {
  Connection,
  Server,
  type Address,
  type CloseReason,
  type ConnectOptions,
  type ListenOptions,
} from '../src/index.js';
import { RawPeer } from './raw-peer.js';
import { waitFor, within } from './waiting.js';

export { RawPeer, encodeFrame, type RawMessage } from './raw-peer.js';
export { rejection, settled, sleep, waitFor, within } from './waiting.js';

export type Transport = 'unix' | 'tcp';
export const transports: readonly Transport[] = ['unix', 'tcp'];

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** The JSON the fixture printed after `READY `. */
  readonly ready: unknown;
  /** Lines the fixture printed on stdout so far. */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

// ---------------------------------------------------------------------------------------------------------------
// The harness: everything a test opens is closed after it, every child is killed and checked gone.

export interface PairOptions {
  server?: Omit<ListenOptions, 'address'>;
  client?: Omit<ConnectOptions, 'address'>;
}

export interface Proxy {
  readonly address: Address;
  /** Bytes relayed from the client to the server so far. */
  up(): number;
  /** Bytes relayed from the server to the client so far. */
  down(): number;
  /** Everything the client sent so far: a recording of a real session. */
  upBytes(): Buffer;
  /** Everything the server sent so far. */
  downBytes(): Buffer;
}

export interface Pair {
  server: Server;
  /** The calling side's connection. */
  client: Connection;
  /** The same connection as the server sees it. */
  serverSide: Connection;
}

export class Harness {
  private readonly cleanups: (() => unknown)[] = [];
  private readonly children: Child[] = [];
  private dirPath: string | undefined;
  private socketCount = 0;

  /** Runs `fn` after the test, most recent first. */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  dir(): string {
    if (this.dirPath === undefined) {
      const path = mkdtempSync(join(tmpdir(), 'cohort-rpc-'));
      this.dirPath = path;
      this.defer(() => rmSync(path, { recursive: true, force: true }));
    }
    return this.dirPath;
  }

  /** A fresh listening address: a socket path in the test's temp dir, or 127.0.0.1 on a free port. */
  address(transport: Transport): Address {
    return transport === 'unix'
      ? { path: join(this.dir(), `s${this.socketCount++}.sock`) }
      : { host: '127.0.0.1', port: 0 };
  }

  async server(transport: Transport, options: Omit<ListenOptions, 'address'>): Promise<Server> {
    const server = await Server.listen({ ...options, address: this.address(transport) });
    this.defer(() => server.close());
    return server;
  }

  async connect(options: ConnectOptions): Promise<Connection> {
    const connection = await Connection.connect(options);
    this.defer(() => connection.close('test over'));
    return connection;
  }

  /** A server and one connected client, plus the server's view of that connection. */
  async pair(transport: Transport, options: PairOptions = {}): Promise<Pair> {
    let resolveServerSide!: (c: Connection) => void;
    const serverSideReady = new Promise<Connection>((resolve) => (resolveServerSide = resolve));
    const userOnConnection = options.server?.onConnection;
    const server = await this.server(transport, {
      implementations: [],
      ...options.server,
      onConnection: (c) => {
        resolveServerSide(c);
        userOnConnection?.(c);
      },
    });
    const client = await this.connect({ ...options.client, address: server.address });
    const serverSide = await within(serverSideReady, 10_000, 'the server side of the connection');
    return { server, client, serverSide };
  }

  async raw(address: Address): Promise<RawPeer> {
    const peer = await RawPeer.connect(address);
    this.defer(() => peer.destroy());
    return peer;
  }

  /** A plain TCP/Unix listener whose accepted sockets are handed to `onPeer` as raw peers (a hostile server). */
  async rawServer(transport: Transport, onPeer: (peer: RawPeer) => void): Promise<Address> {
    const sockets = new Set<Socket>();
    const server: NetServer = createServer((socket) => {
      sockets.add(socket);
      onPeer(new RawPeer(socket));
    });
    return this.listenRaw(transport, server, sockets);
  }

  /**
   * A relay in front of `target` that counts the bytes each way, so a test can see what was (not) written.
   * `chunkBytes` re-slices the client's bytes into writes of at most that size.
   */
  async proxy(transport: Transport, target: Address, chunkBytes?: number): Promise<Proxy> {
    const counts = { up: 0, down: 0 };
    const upChunks: Buffer[] = [];
    const downChunks: Buffer[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((inbound) => {
      inbound.pause();
      const outbound = netConnect('path' in target ? { path: target.path } : { host: target.host, port: target.port });
      sockets.add(inbound).add(outbound);
      outbound.once('connect', () => inbound.resume());
      inbound.on('data', (chunk: Buffer) => {
        counts.up += chunk.length;
        upChunks.push(chunk);
        if (chunkBytes === undefined) outbound.write(chunk);
        else for (let i = 0; i < chunk.length; i += chunkBytes) outbound.write(chunk.subarray(i, i + chunkBytes));
      });
      outbound.on('data', (chunk: Buffer) => {
        counts.down += chunk.length;
        downChunks.push(chunk);
        inbound.write(chunk);
      });
      for (const [a, b] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        a.on('end', () => b.end());
        a.on('close', () => b.destroy());
        a.on('error', () => b.destroy());
      }
    });
    const address = await this.listenRaw(transport, server, sockets);
    return {
      address,
      up: () => counts.up,
      down: () => counts.down,
      upBytes: () => Buffer.concat(upChunks),
      downBytes: () => Buffer.concat(downChunks),
    };
  }

  private async listenRaw(transport: Transport, server: NetServer, sockets: Set<Socket>): Promise<Address> {
    const address = this.address(transport);
    await new Promise<void>((resolve) => {
      if ('path' in address) server.listen(address.path, resolve);
      else server.listen(0, address.host, resolve);
    });
    this.defer(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const bound = server.address();
    return 'path' in address || bound === null || typeof bound === 'string'
      ? address
      : { host: address.host, port: bound.port };
  }

  /**
   * Runs `fixtures/<name>.ts` under tsx with `args` as one JSON argument, and waits for its `READY <json>` line.
   * After the test it is SIGKILLed (if still running) and its pid must be gone.
   */
  async spawnFixture(name: string, args: unknown): Promise<Child> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', `${name}.ts`), JSON.stringify(args)],
      {
        cwd: here,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start fixture ${name}`);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const lines: string[] = [];
    let partial = '';
    let onLine: (() => void) | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      onLine?.();
    });
    const record: Child = { process: child, pid, ready: undefined, lines, exited, stderr: () => stderr };
    this.children.push(record);
    const readyLine = await within(
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const line = lines.find((l) => l.startsWith('READY '));
          if (line !== undefined) resolve(line);
        };
        onLine = check;
        check();
        void exited.then(({ code, signal }) => {
          reject(new Error(`fixture ${name} exited (${code ?? signal}) before READY: ${stderr}`));
        });
      }),
      20_000,
      `fixture ${name} to start`,
    );
    (record as { ready: unknown }).ready = JSON.parse(readyLine.slice('READY '.length));
    return record;
  }

  async dispose(): Promise<void> {
    const failures: unknown[] = [];
    for (const child of this.children) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    }
    for (const child of this.children) {
      await within(child.exited, 10_000, `exit of fixture pid ${child.pid}`).catch((e: unknown) => failures.push(e));
    }
    for (const child of this.children) {
      await waitFor(() => !isAlive(child.pid), `pid ${child.pid} to be gone`).catch((e: unknown) => failures.push(e));
    }
    this.children.length = 0;
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await within(Promise.resolve(cleanup()), 10_000, 'a cleanup step');
      } catch (error) {
        failures.push(error);
      }
    }
    this.cleanups.length = 0;
    this.dirPath = undefined;
    if (failures.length > 0) throw failures[0];
  }
}

/** A harness for the current test file, disposed after each test. */
export function useHarness(): Harness {
  const harness = new Harness();
  afterEach(() => harness.dispose());
  return harness;
}

/** A connection's close reason, or a failure if it does not close in time. */
export const closedWithin = (connection: Connection, timeoutMs = 10_000): Promise<CloseReason> =>
  within(connection.closed, timeoutMs, 'the connection to close');
