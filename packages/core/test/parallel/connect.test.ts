import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { ErrorReport } from '../support/fixture-report.js';

describe('connecting to workers', () => {
  it('run on a Worker and on connections; a WorkerRef passed to another worker, which connects directly', async () => {
    const { result, workerPids } = await runFixture<{
      ref: { type: string; name: string; pid: number; address: { path: string } };
      counterPid: number;
      viaRelay: { total: number; label: string; pid: number };
      directWho: { label: string; index: number; connectionsOpened: number };
      onHandle: number;
      wrongTypeConnect: ErrorReport | null;
      wrongTypeRun: ErrorReport | null;
      notARef: ErrorReport | null;
    }>('parallel/connect.ts', { args: ['refs'] });
    expect(workerPids).toHaveLength(2);
    expect(result.ref).toMatchObject({
      type: 'counter',
      name: 'target',
      pid: result.counterPid,
      address: { path: expect.stringMatching(/\.sock$/) },
    });
    expect(result.viaRelay).toEqual({ total: 15, label: 'via-relay', pid: result.counterPid });
    // Connections: the handle's default ('main'), the relay's, then the master's own.
    expect(result.directWho).toMatchObject({ label: 'direct', index: 3, connectionsOpened: 3 });
    expect(result.onHandle).toBe(16);
    expect(result.wrongTypeConnect).toMatchObject({ code: 'WRONG_WORKER_TYPE' });
    expect(result.wrongTypeRun).toMatchObject({ code: 'WRONG_WORKER_TYPE' });
    expect(result.notARef).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('serve runs a worker inside the current process, reachable by spawned workers too', async () => {
    const { result, workerPids } = await runFixture<{
      pid: number;
      masterPid: number;
      added: number;
      who: { label: string; pid: number };
      onHandle: { label: string; pid: number };
      viaRelay: { total: number; label: string; pid: number };
      status: { code: number; signal: null };
      afterShutdown: ErrorReport | null;
    }>('parallel/connect.ts', { args: ['serve'] });
    expect(workerPids).toHaveLength(1);
    expect(result.pid).toBe(result.masterPid);
    expect(result.added).toBe(101);
    expect(result.who).toMatchObject({ label: 'in-process', pid: result.masterPid });
    expect(result.onHandle).toMatchObject({ label: 'default', pid: result.masterPid });
    expect(result.viaRelay).toEqual({ total: 111, label: 'via-relay', pid: result.masterPid });
    expect(result.status).toEqual({ code: 0, signal: null });
    expect(result.afterShutdown).not.toBeNull();
  });

  it('workers spawn workers: the master reaches a grandchild by ref; a child goes when its spawner does', async () => {
    const { result, workerPids, records } = await runFixture<{
      first: { pid: number; total: number };
      grandchildTotal: number;
      shutdownStatuses: string[];
      firstGone: boolean;
      secondPid: number;
      relayPid: number;
      relayStatus: { code: number };
      secondGone: boolean;
      respawned: number;
    }>('parallel/connect.ts', { args: ['nested'] });
    expect(workerPids).toHaveLength(4);
    // The grandchildren's parent is the relay.
    expect(records.filter((r) => r.ppid === result.relayPid).map((r) => r.pid)).toEqual([
      result.first.pid,
      result.secondPid,
    ]);
    expect(result.first.total).toBe(8);
    expect(result.grandchildTotal).toBe(108);
    expect(result.shutdownStatuses).toEqual(['0/null']);
    expect(result.firstGone).toBe(true);
    expect(result.relayStatus.code).toBe(0);
    expect(result.secondGone).toBe(true);
    expect(result.respawned).toBe(42);
  });
});
