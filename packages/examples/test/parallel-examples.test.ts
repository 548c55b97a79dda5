// Every Parallel example, run as its README says (through tsx, as a real process), checked on its key output lines
// and its exit code, and proven to leave no process behind (runExample fails otherwise).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesDir, runExample, type ExampleEnd } from './support/run-example.js';

/** The numbers captured by `pattern` in the one stdout line it matches. */
function numbersOf(run: ExampleEnd, pattern: RegExp): number[] {
  const matches = run.lines.map((line) => pattern.exec(line)).filter((match) => match !== null);
  expect(matches, `one line matching ${pattern}\n${run.describe()}`).toHaveLength(1);
  return matches[0]!.slice(1).map(Number);
}

function expectClean(run: ExampleEnd, workers: number): void {
  expect(run.code, run.describe()).toBe(0);
  expect(run.stderr, run.describe()).toBe('');
  expect(run.workerPids, run.describe()).toHaveLength(workers);
  expect(new Set(run.workerPids).size).toBe(workers);
  // The pids it printed are really its own processes, seen below it while it ran (and now gone, as runExample proved).
  for (const pid of run.workerPids) expect(run.parents.has(pid), `pid ${pid} seen\n${run.describe()}`).toBe(true);
}

describe.each(['hello-worker', 'function-kinds', 'shutdown-modes', 'worker-refs', 'pool-hashing'])(
  '%s README',
  (name) => {
    it('is one line that gives the command to run it from the repo root', () => {
      const readme = readFileSync(join(examplesDir, 'src', name, 'README.md'), 'utf8');
      expect(readme.trimEnd().split('\n')).toHaveLength(1);
      expect(readme).toContain(`\`npx pnpm@10 --filter @cohort/examples exec tsx src/${name}/main.ts\``);
    });
  },
);

describe('Parallel examples', () => {
  it('hello-worker: spawns a worker, runs a function on it and shuts it down', async () => {
    const run = await runExample('hello-worker');
    expectClean(run, 1);
    const [master, worker] = numbersOf(run, /^master pid (\d+) spawned worker pid (\d+)$/);
    expect(master).toBe(run.pid);
    expect(run.workerPids).toEqual([worker]);
    expect(run.parents.get(worker!)).toBe(run.pid);
    expect(run.lines).toContain('[greeter] greeting world');
    expect(run.lines).toContain(`hello, world, from worker pid ${worker}`);
    expect(run.lines).toContain('worker exited with code 0');
  });

  it('function-kinds: every kind of function, worker state shared, connection state per connection', async () => {
    const run = await runExample('function-kinds');
    expectClean(run, 1);
    for (const line of [
      'rpc: alice adds 5, total 5',
      'rpc: bob adds 10, total 15',
      'pipe: countdown from 3: 3 2 1',
      'state: bob watches, total now 15',
      'state: bob saw the total become 16 then 18',
      '[tally] alice says: hello',
      '[tally] bob says: hi',
      'reversePipe: alice streams 1 2 3 4, total 28',
      'connection state of alice: 6 calls; worker state: total 28',
      'connection state of bob: 3 calls; worker state: total 28',
    ]) {
      expect(run.lines, run.describe()).toContain(line);
    }
  });

  it('shutdown-modes: heartbeat-lost, connection-closed, shutdown-called and connectAndShutdownOnDisconnect', async () => {
    const run = await runExample('shutdown-modes');
    expectClean(run, 5);

    const [subMaster, orphan] = numbersOf(run, /^sub-master pid (\d+) spawned worker pid (\d+)$/);
    expect(run.parents.get(subMaster!)).toBe(run.pid);
    expect(run.parents.get(orphan!)).toBe(subMaster);
    expect(run.lines).toContain(`sub-master pid ${subMaster} was killed by SIGKILL`);
    numbersOf(
      run,
      new RegExp(`^worker pid ${orphan} is gone (\\d+) ms after the SIGKILL \\(it closed our connection: "`),
    );

    const [session] = numbersOf(run, /^worker pid (\d+) answers on its connection$/);
    expect(run.parents.get(session!)).toBe(run.pid);
    expect(run.lines).toContain(`[session] pid ${session} exiting with code 0`);
    expect(run.lines).toContain(`connection closed: worker pid ${session} is gone`);

    const [subMaster2, survivor] = numbersOf(run, /^sub-master-2 pid (\d+) spawned worker pid (\d+)$/);
    expect(run.parents.get(survivor!)).toBe(subMaster2);
    expect(run.lines).toContain(`sub-master-2 pid ${subMaster2} exited with code 0`);
    expect(run.lines).toContain(`worker pid ${survivor} still answers after its spawner exited`);
    expect(run.lines).toContain(`took ownership of worker pid ${survivor}`);
    expect(run.lines).toContain(`owner's connection closed: worker pid ${survivor} is gone`);

    expect(run.workerPids).toEqual([subMaster, orphan, session, subMaster2, survivor]);
  });

  it('worker-refs: a ref passed to a worker that connects directly, and a worker that spawns its own', async () => {
    const run = await runExample('worker-refs');
    expectClean(run, 3);
    const [master, documents, indexer] = numbersOf(run, /^master pid (\d+): documents pid (\d+), indexer pid (\d+)$/);
    expect(master).toBe(run.pid);
    // The store's log names its client: the indexer read the documents itself.
    expect(run.lines).toContain(`[documents] indexer pid ${indexer} reads "rpc_parallel"`);
    expect(run.lines).toContain(`[documents] indexer pid ${indexer} reads "tezt"`);
    const [counts] = numbersOf(run, /^the indexer spawned its own store, counts pid (\d+)$/);
    expect(run.parents.get(counts!)).toBe(indexer);
    expect(run.lines).toContain('[indexer] [counts] master reads "tezt"');
    expect(run.lines).toContain('rpc_parallel: 15 words');
    expect(run.lines).toContain('tezt: 11 words');
    expect(run.lines).toContain('indexer exited with code 0');
    expect(run.lines).toContain(
      `counts pid ${counts} went with it (it closed our connection: "the worker is exiting")`,
    );
    expect(run.lines).toContain('documents exited with code 0');
    expect(run.workerPids).toEqual([documents, indexer, counts]);
  });

  it('pool-hashing: a batch through a pool; the corrupt image times out and its worker is replaced; workers recycled; stats', async () => {
    const run = await runExample('pool-hashing');
    expect(run.code, run.describe()).toBe(0);
    expect(run.stderr, run.describe()).toBe('');
    const hashed = run.lines.filter((line) =>
      /^photo-\d\d\.rgba {2}aHash [0-9a-f]{16} {2}sha256 [0-9a-f]{16}… {2}worker pid \d+$/.test(line),
    );
    expect(hashed, run.describe()).toHaveLength(40);
    expect(run.lines).toContainEqual(
      expect.stringMatching(
        /^corrupt\.rgba {2}failed: RpcError TIMEOUT: image-hasher\.hash timed out after 5000 ms on pool worker "image-hasher-pool-\d+", which was stopped and replaced$/,
      ),
    );
    const [images, completed, failed, replaced] = numbersOf(
      run,
      /^(\d+) images in [\d.]+ ms: (\d+) hashed, (\d+) failed, (\d+) workers replaced$/,
    );
    expect([images, completed, failed]).toEqual([41, 40, 1]);
    // The stuck worker, and at least one recycled after 20 calls.
    expect(replaced).toBeGreaterThanOrEqual(2);
    numbersOf(
      run,
      /^waiting for a worker: p50 ([\d.]+) ms, p99 ([\d.]+) ms; hashing: p50 ([\d.]+) ms, p99 ([\d.]+) ms$/,
    );
    const [served] = numbersOf(run, /^served by (\d+) worker processes over the run$/);
    expect(served).toBeGreaterThanOrEqual(3);
    expect(run.workerPids).toHaveLength(served!);
    // Its own processes, seen below it while it ran (and gone now, as runExample proved).
    for (const pid of run.workerPids) expect(run.parents.get(pid), `pid ${pid}\n${run.describe()}`).toBe(run.pid);
  });
});
