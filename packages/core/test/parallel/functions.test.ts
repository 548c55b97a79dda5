import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';

interface Who {
  label: string;
  index: number;
  calls: number;
  sameWorker: boolean;
  workerId: string;
  pid: number;
  connectionsOpened: number;
}

describe('Parallel.make through a spawned worker', () => {
  it('runs every function kind; worker state is shared by connections, connection state is per connection', async () => {
    const { result, workerPids } = await runFixture<{
      added: number;
      countdown: number[];
      total: number;
      totalAsync: number;
      state: number;
      updateValues: number[];
      whoA: Who;
      whoB: Who;
      whoDefault: Who;
      logs: string[];
      status: { code: number | null; signal: string | null };
      workerPid: number;
      id: string;
      name: string;
    }>('parallel/functions.ts');
    expect(workerPids).toEqual([result.workerPid]);
    expect(result.name).toBe('fn');
    // rpc: the worker state (from initWorkerState's start 10) is shared by every connection.
    expect(result.added).toBe(15);
    expect(result.state).toBe(117);
    // pipe, reverse pipe (iterable and async iterable), state + updates.
    expect(result.countdown).toEqual([4, 3, 2, 1]);
    expect(result.total).toBe(1006);
    expect(result.totalAsync).toBe(5050);
    expect(result.updateValues).toEqual([118, 119, 120]);
    // oneWay: arrived in order, each with its own connection's state.
    expect(result.logs).toEqual(['a:hello', 'b:world']);
    // Connection state: one initConnectionState per connection (default, a, b), each with its own counters.
    expect(result.whoDefault).toMatchObject({ label: 'default', index: 1, calls: 1, connectionsOpened: 3 });
    expect(result.whoA).toMatchObject({ label: 'a', index: 2, calls: 2, sameWorker: true, pid: result.workerPid });
    expect(result.whoB).toMatchObject({ label: 'b', index: 3, calls: 1, sameWorker: true });
    // workerId in every context is the handle's id.
    expect(result.whoA.workerId).toBe(result.id);
    expect(result.status).toEqual({ code: 0, signal: null });
  });
});
