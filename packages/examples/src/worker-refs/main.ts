// Workers that reach each other directly: a `WorkerRef` passed as an argument to another worker, which connects to
// the first with `Type.connect(ref, init)`; and a worker that spawns a worker of its own.
import { z } from 'zod';
import { Parallel, showProcessStatus, startApp } from '@cohort/core';

// A key-value store in a worker. Each connection names its client, so the store's log shows who reads from it.
const Store = Parallel.make({
  name: 'store',
  connectionInit: z.string(),
  initWorkerState: () => new Map<string, string>(),
  initConnectionState: (client) => ({ client }),
  functions: (f) => ({
    put: f.rpc({
      input: z.object({ key: z.string(), value: z.string() }),
      output: z.void(),
      run: ({ key, value }, { workerState }) => {
        workerState.set(key, value);
      },
    }),
    get: f.rpc({
      input: z.string(),
      output: z.string().optional(),
      run: (key, { workerState, connectionState }) => {
        console.log(`${connectionState.client} reads "${key}"`);
        return workerState.get(key);
      },
    }),
  }),
});

// Counts the words of documents that live in another worker's store, and keeps the counts in a store of its own.
const Indexer = Parallel.make({
  name: 'indexer',
  // A worker is a master too: it spawns its own store while it starts. That store ends with the indexer (it is a
  // 'heartbeat-lost' worker, and the indexer is its spawner).
  initWorkerState: async () => ({ counts: await Store.spawn({ name: 'counts', connectionInit: 'indexer' }) }),
  functions: (f) => ({
    countWords: f.rpc({
      // `Parallel.workerRef` is the schema of a WorkerRef, to take one as an input (or return one).
      input: z.object({ documents: Parallel.workerRef, keys: z.array(z.string()) }),
      output: Parallel.workerRef,
      run: async ({ documents, keys }, { workerState }) => {
        // Straight to the documents store: these reads do not pass through the master.
        const source = await Store.connect(documents, `indexer pid ${process.pid}`);
        try {
          for (const key of keys) {
            const text = (await source.run(Store.functions.get, key)) ?? '';
            const words = text.split(/\s+/).filter((word) => word !== '').length;
            await workerState.counts.run(Store.functions.put, { key, value: String(words) });
          }
        } finally {
          await source.close();
        }
        // Where the results are: the caller may connect to the indexer's own store directly too.
        return workerState.counts.ref;
      },
    }),
  }),
});

await startApp();

const documents = await Store.spawn({ name: 'documents', connectionInit: 'master' });
const texts = {
  rpc_parallel: 'declare a worker type, spawn your own program as a worker, call it over RPC',
  tezt: 'a queue of tasks on a bounded set of worker processes',
};
for (const [key, value] of Object.entries(texts)) await documents.run(Store.functions.put, { key, value });

const indexer = await Indexer.spawn({ name: 'indexer' });
console.log(`master pid ${process.pid}: documents pid ${documents.pid}, indexer pid ${indexer.pid}`);

// A WorkerRef is plain JSON ({ type, id, name, pid, address }): it travels as an argument like any other value.
console.log(`passing the documents ref to the indexer: ${JSON.stringify(documents.ref)}`);
const countsRef = await indexer.run(Indexer.functions.countWords, {
  documents: documents.ref,
  keys: Object.keys(texts),
});
console.log(`the indexer spawned its own store, counts pid ${countsRef.pid}`);

// The master connects to the indexer's worker with the ref it got back: every process of the app may.
const counts = await Store.connect(countsRef, 'master');
for (const key of Object.keys(texts)) console.log(`${key}: ${await counts.run(Store.functions.get, key)} words`);

// The counts store goes with its spawner: the indexer's shutdown ends it, which closes our connection to it.
console.log(`indexer ${showProcessStatus(await indexer.shutdown())}`);
const why = await counts.closed;
console.log(`counts pid ${countsRef.pid} went with it (it closed our connection: "${why.reason}")`);
console.log(`documents ${showProcessStatus(await documents.shutdown())}`);

// Every worker this run started, to check with `ps` that none is left.
console.log(`worker pids: ${documents.pid} ${indexer.pid} ${countsRef.pid}`);
