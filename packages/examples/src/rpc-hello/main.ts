// A server and a client in one process, over a real Unix socket: every kind of RPC once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Connection, Rpc, Server } from '@cohort/rpc';

const add = Rpc.rpc({ name: 'add', input: z.tuple([z.number(), z.number()]), output: z.number() });
const ticks = Rpc.pipe({ name: 'ticks', input: z.number(), item: z.number() });
const book = Rpc.state({ name: 'book', input: z.string(), state: z.array(z.string()), update: z.string() });
const note = Rpc.oneWay({ name: 'note', input: z.string() });
const upload = Rpc.reversePipe({
  name: 'upload',
  input: z.string(),
  item: z.instanceof(Uint8Array),
  output: z.number(),
});

const dir = mkdtempSync(join(tmpdir(), 'cohort-rpc-hello-'));
const secret = 'not-so-secret';
const server = await Server.listen({
  address: { path: join(dir, 'rpc.sock') },
  secret,
  implementations: [
    Rpc.implement(add, ([a, b]) => a + b),
    Rpc.implement(ticks, async function* (n) {
      for (let i = 0; i < n; i++) yield i;
    }),
    Rpc.implement(book, (title) => ({ state: [title], updates: ['chapter 1', 'chapter 2'] })),
    Rpc.implement(note, (text) => console.log(`server got a note: ${text}`)),
    Rpc.implement(upload, async (name, chunks) => {
      let bytes = 0;
      for await (const chunk of chunks) bytes += chunk.length;
      console.log(`server received ${bytes} bytes for ${name}`);
      return bytes;
    }),
  ],
});

const conn = await Connection.connect({ address: server.address, secret });
console.log('add:', await conn.dispatch(add, [1, 2]));
const seen: number[] = [];
for await (const tick of await conn.dispatch(ticks, 5)) seen.push(tick);
console.log('ticks:', seen);
const { state, updates } = await conn.dispatch(book, 'Cohort');
for await (const update of updates) state.push(update);
console.log('book:', state);
await conn.dispatch(note, 'hello');
console.log('uploaded:', await conn.dispatch(upload, ['blob', [new Uint8Array(1024), new Uint8Array(2048)]]));

await conn.close('done');
console.log('closed:', await conn.closed);
await server.close();
rmSync(dir, { recursive: true, force: true });
