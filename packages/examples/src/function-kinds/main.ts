// The five kinds of worker function (rpc, pipe, state, oneWay, reversePipe), and the two states a worker keeps:
// worker state, shared by every connection to the worker, and connection state, one per connection.
import { EventEmitter, on } from 'node:events';
import { z } from 'zod';
import { Parallel, startApp } from '@cohort/core';

/** The worker state: a running total that tells its watchers about every change. */
class Total extends EventEmitter {
  constructor(public value: number) {
    super();
  }

  add(n: number): number {
    this.value += n;
    this.emit('change', this.value);
    return this.value;
  }
}

// Several clients add to one total. Declared at the top level, before startApp(), so that the worker (this
// script, re-run) defines it too.
const Tally = Parallel.make({
  name: 'tally',
  workerInit: z.object({ start: z.number() }),
  connectionInit: z.object({ client: z.string() }),
  // Once per worker process: what every connection sees.
  initWorkerState: ({ start }) => new Total(start),
  // Once per connection: what only the calls on that connection see.
  initConnectionState: ({ client }) => ({ client, calls: 0 }),
  functions: (f) => ({
    // rpc: one request, one response.
    add: f.rpc({
      input: z.number(),
      output: z.number(),
      run: (n, { workerState, connectionState }) => {
        connectionState.calls++;
        return workerState.add(n);
      },
    }),
    // pipe: one request, a stream of responses. The worker's generator is only resumed as the caller reads.
    countdown: f.pipe({
      input: z.number().int().nonnegative(),
      item: z.number(),
      run: async function* (from, { connectionState }) {
        connectionState.calls++;
        for (let n = from; n > 0; n--) yield n;
      },
    }),
    // state: the current value at once, then every change until the caller stops reading.
    watch: f.state({
      input: z.void(),
      state: z.number(),
      update: z.number(),
      run: (_input, { workerState, connectionState, signal }) => {
        connectionState.calls++;
        // Listening starts here, before the snapshot is taken, so no change in between is missed. `signal` is
        // aborted when the caller breaks out of the updates (or its connection closes), which ends the stream.
        const changes = on(workerState, 'change', { signal });
        const updates = async function* () {
          for await (const [total] of changes) yield total;
        };
        return { state: workerState.value, updates: updates() };
      },
    }),
    // oneWay: no response; the call resolves once the message is sent. Calls on one connection arrive in order.
    log: f.oneWay({
      input: z.string(),
      run: (text, { connectionState }) => {
        connectionState.calls++;
        console.log(`${connectionState.client} says: ${text}`);
      },
    }),
    // reversePipe: the caller streams items to the worker, and gets one response at the end.
    addAll: f.reversePipe({
      input: z.void(),
      item: z.number(),
      output: z.number(),
      run: async (_input, items, { workerState, connectionState }) => {
        connectionState.calls++;
        for await (const n of items) workerState.add(n);
        return workerState.value;
      },
    }),
    // What this connection knows (its own state) next to what the worker knows (shared by all).
    whoami: f.rpc({
      input: z.void(),
      output: z.object({ client: z.string(), calls: z.number(), total: z.number() }),
      run: (_input, { workerState, connectionState }) => ({ ...connectionState, total: workerState.value }),
    }),
  }),
});

await startApp();

// No `connectionInit` here: each client below opens its own connection, with its own name.
const worker = await Tally.spawn({ init: { start: 0 }, name: 'tally' });
const alice = await worker.connect({ client: 'alice' });
const bob = await worker.connect({ client: 'bob' });

console.log('rpc: alice adds 5, total', await alice.run(Tally.functions.add, 5));
console.log('rpc: bob adds 10, total', await bob.run(Tally.functions.add, 10));

const countdown: number[] = [];
for await (const n of await alice.run(Tally.functions.countdown, 3)) countdown.push(n);
console.log('pipe: countdown from 3:', countdown.join(' '));

// Bob watches while Alice adds: he sees the total now, then each change.
const { state, updates } = await bob.run(Tally.functions.watch, undefined);
console.log('state: bob watches, total now', state);
await alice.run(Tally.functions.add, 1);
await alice.run(Tally.functions.add, 2);
const seen: number[] = [];
for await (const total of updates) {
  seen.push(total);
  // Breaking out of the loop stops the stream in the worker too.
  if (seen.length === 2) break;
}
console.log('state: bob saw the total become', seen.join(' then '));

// The worker prints these lines; they arrive here prefixed with `[tally] `.
await alice.run(Tally.functions.log, 'hello');
await bob.run(Tally.functions.log, 'hi');

// Any Iterable or AsyncIterable can be streamed to the worker; it is read only as fast as the worker takes items.
async function* numbers() {
  for (let n = 1; n <= 4; n++) yield n;
}
console.log(
  'reversePipe: alice streams 1 2 3 4, total',
  await alice.run(Tally.functions.addAll, [undefined, numbers()]),
);

// Connection state is per connection: each client counts its own calls. Worker state is shared: one total.
for (const connection of [alice, bob]) {
  const { client, calls, total } = await connection.run(Tally.functions.whoami, undefined);
  console.log(`connection state of ${client}: ${calls} calls; worker state: total ${total}`);
}

await alice.close();
await bob.close();
await worker.shutdown();
console.log(`worker pids: ${worker.pid}`);
