import { connect, type Socket } from 'node:net';
import type { RpcSubject } from './definitions.js';
import { FrameSender, FrameSplitter, unpack } from './raw-frames.js';

type Pending =
  | { kind: 'call'; resolve: (value: unknown) => void }
  | { kind: 'stream'; items: number; sum: number; resolve: (result: { items: number; sum: number }) => void };

/** The raw baseline's client: ids to match responses, nothing more. */
export class RawClient implements RpcSubject {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly sender: FrameSender;

  private constructor(private readonly socket: Socket) {
    this.sender = new FrameSender(socket);
    const splitter = new FrameSplitter((payload) => this.onFrame(payload));
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  }

  static async connect(path: string): Promise<RawClient> {
    const socket = connect({ path });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  add(a: number, b: number): Promise<number> {
    return this.call('add', [a, b]) as Promise<number>;
  }

  echo(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    return this.call('echo', bytes) as Promise<Uint8Array>;
  }

  count(n: number): Promise<{ items: number; sum: number }> {
    return this.stream('count', n);
  }

  /** `count`, with the server drawing the items from an async generator, as Cohort's server does. */
  countFromGenerator(n: number): Promise<{ items: number; sum: number }> {
    return this.stream('countFromGenerator', n);
  }

  private stream(method: string, n: number): Promise<{ items: number; sum: number }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { kind: 'stream', items: 0, sum: 0, resolve });
      this.sender.send([id, method, n]);
    });
  }

  async close(): Promise<void> {
    this.socket.end();
    await new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
  }

  private call(method: string, arg: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { kind: 'call', resolve });
      this.sender.send([id, method, arg]);
    });
  }

  private onFrame(payload: Buffer): void {
    const [id, value] = unpack(payload) as [number, unknown];
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    if (pending.kind === 'call') {
      this.pending.delete(id);
      pending.resolve(value);
    } else if (value === null) {
      this.pending.delete(id);
      pending.resolve({ items: pending.items, sum: pending.sum });
    } else {
      for (const item of value as number[]) {
        pending.items++;
        pending.sum += item;
      }
    }
  }
}
