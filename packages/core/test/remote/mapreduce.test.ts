import { describe, expect, it } from 'vitest';
import type { PidRecord } from '../support/side-channel.mjs';
import { runFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

interface Common {
  /** Recorded worker pids still alive once the operation had settled. */
  aliveAfter: number[];
  /** Every other process of the run (ssh client, agent), waited for while the master lived on. */
  others: { goneMs: number; left: string[] };
  sshPids: number[];
  masterPid: number;
}

/** Runs a scenario of fixtures/mapreduce.ts; every process of the run is proven gone by then (support/fixture-runner.ts). */
async function scenario<R>(name: string): Promise<{ result: R & Common; remote: PidRecord[]; local: PidRecord[] }> {
  const { result, records, code, stdout, stderr } = await runFixture<R & Common>('remote/mapreduce.ts', {
    ssh: true,
    args: [name],
  });
  const context = `--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`;
  expect(code, context).toBe(0);
  expect(result.aliveAfter, context).toEqual([]);
  expect(result.others.left, context).toEqual([]);
  // Two workers over ssh (children of one agent) and one local (a child of the master), through one ssh client.
  const remote = records.filter((r) => r.ppid !== result.masterPid);
  const local = records.filter((r) => r.ppid === result.masterPid);
  expect(remote).toHaveLength(2);
  expect(new Set(remote.map((r) => r.ppid)).size).toBe(1);
  expect(local).toHaveLength(1);
  expect(result.sshPids).toHaveLength(1);
  return { result, remote, local };
}

describe.skipIf(sshTarget === undefined)(
  `MapReduce over ssh and local hosts together (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('map yields the sequential order for 5000 inputs, mapped by remote and local workers alike', async () => {
      const { result, remote, local } = await scenario<{
        count: number;
        sameAsSequential: boolean;
        firstMismatch: number;
        byPid: Record<string, number>;
      }>('order');
      expect(result.count).toBe(5000);
      expect(result.firstMismatch).toBe(-1);
      expect(result.sameAsSequential).toBe(true);
      // Every worker took part (the map holds each one's first input until all have one), and only those.
      expect(Object.keys(result.byPid).map(Number).sort()).toEqual([...remote, ...local].map((r) => r.pid).sort());
    });

    it('mapReduceCommutative sums across both hosts', async () => {
      const { result } = await scenario<{ sum: number | null }>('sum');
      expect(result.sum).toBe(3 * ((9999 * 10_000) / 2) + 10_000);
    });

    it('a map throwing on a remote worker rejects with RemoteError naming the input index; nothing left on either side', async () => {
      const { result, remote } = await scenario<{
        received: number;
        error: { name: string; message: string; remoteName?: string } | null;
        remote: { data: { index: number; name: string }; peer: string; remoteName: string } | null;
      }>('throw');
      expect(result.error?.name).toBe('RemoteError');
      const index = result.remote!.data.index;
      expect(result.remote?.data).toEqual({ index, name: 'RangeError' });
      expect(result.error?.message).toContain(`threw on input ${index}: RangeError: refusing ${index} in pid `);
      // It was thrown over there, by an ssh worker, which the error's peer names.
      const thrower = Number(/refusing \d+ in pid (\d+)/.exec(result.error?.message ?? '')?.[1]);
      expect(remote.map((r) => r.pid)).toContain(thrower);
      expect(result.remote?.peer).toContain(`(pid ${thrower})`);
      // In input order, nothing at or after the failed input was yielded.
      expect(result.received).toBeLessThanOrEqual(index);
    });

    it('a break out of map over an infinite generator stops the workers on both hosts and closes the source', async () => {
      const { result } = await scenario<{ received: number; pulled: number; sourceClosed: boolean }>('break');
      expect(result.received).toBe(20_000);
      expect(result.sourceClosed).toBe(true);
      // Lazy: a few batches per worker ahead of the consumer (3 workers, at most 18 batches of at most 8192 inputs),
      // never the whole (infinite) input.
      expect(result.pulled).toBeLessThan(20_000 + 3 * 6 * 8192);
    });

    it('findMap stops early: finding input 300 of 1 000 000 maps only a small fraction', async () => {
      const { result } = await scenario<{
        found: number | null;
        mappedCount: number;
        distinctMapped: number;
        mappedTarget: boolean;
      }>('find');
      expect(result.found).toBe(3000);
      expect(result.mappedTarget).toBe(true);
      expect(result.distinctMapped).toBe(result.mappedCount);
      expect(result.mappedCount).toBeGreaterThan(300);
      expect(result.mappedCount).toBeLessThan(100_000);
    });
  },
);
