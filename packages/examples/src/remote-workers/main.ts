// Workers on another machine through OpenSSH: the same worker type, the same calls, the same cleanup rules as
// local workers; only the spawn's `host` differs. The remote machine needs this repository at the same path
// (installed, so that tsx and the packages resolve there) and Node.js >= 20.19.
//
// Run: npx pnpm@10 --filter @cohort/examples exec tsx src/remote-workers/main.ts user@host
// Environment: COHORT_SSH_ARGS (a JSON array of extra ssh arguments, e.g. '["-p","2222"]'), COHORT_SSH_NODE (the
// remote node binary, default `node` on the remote login's PATH).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Hosts, MapReduce, Parallel, showProcessStatus, startApp } from '@cohort/core';
import { z } from 'zod';

const Machine = Parallel.make({
  name: 'machine',
  functions: (f) => ({
    whereAmI: f.rpc({
      input: z.void(),
      output: z.object({ hostname: z.string(), pid: z.number(), node: z.string() }),
      run: () => ({ hostname: hostname(), pid: process.pid, node: process.version }),
    }),
    // A stream from the remote machine: each item crosses the TCP connection as soon as it is produced.
    countdown: f.pipe({
      input: z.number().int().nonnegative(),
      item: z.number(),
      run: async function* (from) {
        for (let n = from; n > 0; n--) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          yield n;
        }
      },
    }),
  }),
});

// Work split between the remote machine and this one: each worker hashes the chunks it is given.
const Hash = MapReduce.define({
  name: 'hash',
  param: z.object({ chunkBytes: z.number().int().positive() }),
  input: z.number().int(),
  output: z.object({ pid: z.number(), digest: z.string() }),
  map: ({ chunkBytes }, seed) => ({
    pid: process.pid,
    digest: createHash('sha256')
      .update(Buffer.alloc(chunkBytes, seed % 256))
      .digest('hex')
      .slice(0, 12),
  }),
});

await startApp();

const destination = process.argv[2] ?? process.env.COHORT_SSH_DESTINATION;
if (destination === undefined) {
  console.error("usage: tsx src/remote-workers/main.ts user@host   (see this example's README)");
  process.exit(2);
}
const sshArgs = JSON.parse(process.env.COHORT_SSH_ARGS ?? '[]') as string[];
// One host object, one ssh connection: every worker spawned on it shares the session and its agent.
const remote = Hosts.ssh({
  destination,
  sshArgs,
  ...(process.env.COHORT_SSH_NODE === undefined ? {} : { nodePath: process.env.COHORT_SSH_NODE }),
});

const began = performance.now();
const worker = await Machine.spawn({ name: 'remote', host: remote });
const where = await worker.run(Machine.functions.whereAmI, undefined);
console.log(
  `spawned on ${remote.name} in ${Math.round(performance.now() - began)} ms: host ${where.hostname}, pid ${where.pid}, node ${where.node}`,
);

const counted: number[] = [];
for await (const n of await worker.run(Machine.functions.countdown, 5)) counted.push(n);
console.log(`countdown streamed from the remote worker: ${counted.join(' ')}`);

// Two remote workers and one local one; the remote ones join the same ssh session.
const hashed = MapReduce.map(
  Hash,
  Array.from({ length: 64 }, (_, i) => i),
  {
    param: { chunkBytes: 4 << 20 },
    hosts: [
      { host: remote, workers: 2 },
      { host: Hosts.local(), workers: 1 },
    ],
  },
);
const byPid = new Map<number, number>();
let first = '';
for await (const { pid, digest } of hashed) {
  first ||= digest;
  byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
}
const shares = [...byPid.values()].join(' + ');
console.log(
  `map-reduce on 2 remote + 1 local workers: ${shares} chunks hashed by ${byPid.size} workers, first ${first}`,
);

const status = await worker.shutdown();
console.log(`remote worker ${showProcessStatus(status)}`);
console.log(`worker pids: ${where.pid}`);
