// The raw baseline's server: requests `[id, method, arg]`, responses `[id, value]`; a stream answers
// `[id, [item, …]]` batches then `[id, null]`.
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { FrameSender, FrameSplitter, unpack } from './raw-frames.js';

/** Items per stream frame: the same batch size Cohort's stream producer uses for small items. */
const STREAM_BATCH = 1024;

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  const sender = new FrameSender(socket);
  const splitter = new FrameSplitter((payload) => {
    const [id, method, arg] = unpack(payload) as [number, string, unknown];
    switch (method) {
      case 'add': {
        const [a, b] = arg as [number, number];
        sender.send([id, a + b]);
        break;
      }
      case 'echo':
        sender.send([id, arg]);
        break;
      case 'count':
        void stream(sender, socket, id, arg as number);
        break;
      case 'countFromGenerator':
        void streamFromGenerator(sender, socket, id, arg as number);
        break;
    }
  });
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  socket.on('error', () => socket.destroy());
}

async function stream(sender: FrameSender, socket: Socket, id: number, n: number): Promise<void> {
  let batch: number[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(i);
    if (batch.length === STREAM_BATCH) {
      const roomLeft = sender.send([id, batch]);
      batch = [];
      if (!roomLeft) await once(socket, 'drain');
    }
  }
  if (batch.length > 0) sender.send([id, batch]);
  sender.send([id, null]);
}

/** The items as this bench's Cohort server makes them: an async generator, drawn one at a time. */
async function* generated(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** `stream`, with the items drawn from `generated`: the floor for any server whose items come from one. */
async function streamFromGenerator(sender: FrameSender, socket: Socket, id: number, n: number): Promise<void> {
  let batch: number[] = [];
  for await (const item of generated(n)) {
    batch.push(item);
    if (batch.length === STREAM_BATCH) {
      const roomLeft = sender.send([id, batch]);
      batch = [];
      if (!roomLeft) await once(socket, 'drain');
    }
  }
  if (batch.length > 0) sender.send([id, batch]);
  sender.send([id, null]);
}

/** Listens on a Unix socket; resolves to a function that closes the listener. */
export async function listenRaw(path: string): Promise<() => Promise<void>> {
  const server = createServer({ noDelay: true }, serve);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return () => new Promise((resolve) => server.close(() => resolve()));
}
