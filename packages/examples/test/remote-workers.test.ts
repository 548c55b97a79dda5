// The remote-workers example, run as its README says against the private test sshd of .ci/setup-sshd (skipped
// without it). The "remote" machine is this one, so every remote process (agent, workers) is found in /proc by the
// tag the test sshd accepts on the session (SetEnv=COHORT_TEST_RUN_DIR=…), and proven gone after the run.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectAllGone, processesWithEnv } from '../../core/test/support/processes.js';
import { runExample } from './support/run-example.js';

const destination = process.env.COHORT_TEST_SSH_DESTINATION;
const sshArgs = JSON.parse(process.env.COHORT_TEST_SSH_ARGS ?? '[]') as string[];

describe.skipIf(destination === undefined)('remote-workers example (needs `eval "$(.ci/setup-sshd)"`)', () => {
  it('spawns on the ssh host, streams from it, splits a map-reduce with a local worker; nothing is left on either side', async () => {
    const tag = `COHORT_TEST_RUN_DIR=example-${randomUUID()}`;
    const remote = new Set<number>();
    const watcher = setInterval(() => {
      for (const pid of processesWithEnv(tag)) remote.add(pid);
    }, 50);
    const run = await runExample('remote-workers', {
      args: [destination!],
      env: {
        ...process.env,
        COHORT_SSH_ARGS: JSON.stringify([...sshArgs, '-o', `SetEnv=${tag}`]),
        COHORT_SSH_NODE: process.execPath,
      },
    }).finally(() => clearInterval(watcher));
    await expectAllGone([...remote, ...processesWithEnv(tag)], 15_000, `remote process of\n${run.describe()}\n`);

    expect(run.code, run.describe()).toBe(0);
    expect(run.stderr, run.describe()).toBe('');
    const spawned = run.lines.find((line) => line.startsWith(`spawned on ssh:${destination} in `));
    expect(spawned, run.describe()).toMatch(/ ms: host .+, pid \d+, node v\d+/);
    const pid = Number(/pid (\d+)/.exec(spawned!)![1]);
    expect(run.workerPids).toEqual([pid]);
    // Remote workers are not children of the example: the session's agent started them.
    expect(run.parents.has(pid)).toBe(false);
    expect(remote.has(pid), `the remote worker ${pid} carried the session's tag`).toBe(true);
    // The agent and three remote workers (one spawned, two for the map-reduce), at least, were seen.
    expect(remote.size, [...remote].join(' ')).toBeGreaterThanOrEqual(4);
    expect(run.lines).toContain('countdown streamed from the remote worker: 5 4 3 2 1');
    expect(run.lines.find((line) => line.startsWith('map-reduce on 2 remote + 1 local workers: '))).toMatch(
      /: (\d+ \+ ){0,2}\d+ chunks hashed by [1-3] workers/,
    );
    expect(run.lines).toContain('remote worker exited with code 0');
  });

  it('without a destination it says how to run it and exits 2', async () => {
    const env = { ...process.env };
    delete env.COHORT_SSH_DESTINATION;
    const run = await runExample('remote-workers', { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: tsx src/remote-workers/main.ts user@host');
  });
});
