// The three `shutdownOn` modes, which decide when a worker ends by itself, and
// `Parallel.connectAndShutdownOnDisconnect`, which hands the end of a worker to whoever holds its reference.
import { z } from 'zod';
import { Parallel, showProcessStatus, startApp } from '@cohort/core';
import { isRunning, waitForExit } from './wait-for-exit.js';

// The worker whose end each part below watches. It says how its process ends, so that you can see it here; a real
// worker needs none of this. (Its output reaches this terminal only while its spawner is alive to forward it.)
const Service = Parallel.make({
  name: 'service',
  initWorkerState: () => {
    process.once('exit', (code) => console.log(`pid ${process.pid} exiting with code ${code}`));
  },
  functions: (f) => ({
    pid: f.rpc({ input: z.void(), output: z.number(), run: () => process.pid }),
  }),
});

// A worker that spawns a Service itself (workers are masters too): the spawner that this example gets rid of,
// to show what happens to the Service when its spawner is gone.
const SubMaster = Parallel.make({
  name: 'sub-master',
  functions: (f) => ({
    spawnService: f.rpc({
      input: z.enum(['heartbeat-lost', 'shutdown-called']),
      // A WorkerRef is plain JSON: the caller can connect to the new worker with it, directly.
      output: Parallel.workerRef,
      run: async (shutdownOn) => {
        const service = await Service.spawn({ shutdownOn, name: `service-${shutdownOn}` });
        return service.ref;
      },
    }),
  }),
});

await startApp();

console.log(`master pid ${process.pid}`);
const pids: number[] = [];

// --- 'heartbeat-lost' (the default) --------------------------------------------------------------------------
// The worker holds a lifeline to its spawner and exits (code 254) the moment it breaks: spawner exit, crash or
// SIGKILL. A thread of the worker watches it, so even a worker stuck in a synchronous loop goes. Other clients
// connect and disconnect freely; only the spawner's life matters.
console.log(`\n'heartbeat-lost': the worker ends when its spawner dies, even by SIGKILL`);
const subMaster = await SubMaster.spawn({ name: 'sub-master' });
const orphan = await subMaster.run(SubMaster.functions.spawnService, 'heartbeat-lost');
pids.push(subMaster.pid, orphan.pid);
console.log(`sub-master pid ${subMaster.pid} spawned worker pid ${orphan.pid}`);
// A connection of ours does not keep the worker alive; here it only tells us when the worker goes.
const watcher = await Service.connect(orphan);
const killedAt = performance.now();
subMaster.kill('SIGKILL');
console.log(`sub-master pid ${subMaster.pid} ${showProcessStatus(await subMaster.exited)}`);
const why = await watcher.closed;
await waitForExit(orphan.pid);
const afterMs = Math.round(performance.now() - killedAt);
console.log(
  `worker pid ${orphan.pid} is gone ${afterMs} ms after the SIGKILL (it closed our connection: "${why.reason}")`,
);

// --- 'connection-closed' ---------------------------------------------------------------------------------------
// `spawn` returns a connection instead of a Worker handle: the worker lives exactly as long as that connection.
console.log(`\n'connection-closed': closing the connection ends the worker (code 0)`);
const session = await Service.spawn({ name: 'session', shutdownOn: 'connection-closed' });
const sessionPid = await session.run(Service.functions.pid, undefined);
pids.push(sessionPid);
console.log(`worker pid ${sessionPid} answers on its connection`);
await session.close(); // resolves once the worker has exited
console.log(`connection closed: worker pid ${sessionPid} ${isRunning(sessionPid) ? 'still runs' : 'is gone'}`);

// --- 'shutdown-called' -----------------------------------------------------------------------------------------
// The worker outlives its spawner and ends only when asked to. Discouraged: if every handle and ref to it is lost
// (its spawner crashes, or forgets it), nothing ever ends it, and it keeps its memory and socket until someone kills
// it by pid. Once the whole app has exited it is an orphan no new program can even call: only the app's processes
// know the secret its connections need. Prefer the two modes above; to hand a worker over to someone else, pass its
// ref and let them own it, as in the last part.
console.log(`\n'shutdown-called': the worker survives its spawner until it is shut down`);
const subMaster2 = await SubMaster.spawn({ name: 'sub-master-2' });
const survivor = await subMaster2.run(SubMaster.functions.spawnService, 'shutdown-called');
pids.push(subMaster2.pid, survivor.pid);
console.log(`sub-master-2 pid ${subMaster2.pid} spawned worker pid ${survivor.pid}`);
console.log(`sub-master-2 pid ${subMaster2.pid} ${showProcessStatus(await subMaster2.shutdown())}`);
const check = await Service.connect(survivor);
console.log(`worker pid ${await check.run(Service.functions.pid, undefined)} still answers after its spawner exited`);
await check.close();

// --- Parallel.connectAndShutdownOnDisconnect -------------------------------------------------------------------
// Whoever holds a worker's ref can take ownership of it: the worker shuts down when this connection closes.
console.log(`\nParallel.connectAndShutdownOnDisconnect: the owner's connection closing ends the worker`);
const owner = await Parallel.connectAndShutdownOnDisconnect(survivor);
console.log(`took ownership of worker pid ${await owner.run(Service.functions.pid, undefined)}`);
await owner.close();
await waitForExit(survivor.pid);
console.log(`owner's connection closed: worker pid ${survivor.pid} is gone`);

// Every worker this run started, to check with `ps` that none is left.
console.log(`\nworker pids: ${pids.join(' ')}`);
