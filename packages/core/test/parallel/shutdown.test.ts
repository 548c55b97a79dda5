import { readdirSync } from 'node:fs';
import { Connection } from '@cohort/rpc';
import { describe, expect, it } from 'vitest';
import { forInternalTesting } from '../../src/testing.js';
import { isAlive, waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';

describe('shutdownOn', () => {
  it("'heartbeat-lost' (default): clients come and go, the worker stays; it exits 254 once its master is gone", async () => {
    const { result, exits } = await runFixture<{ pid: number; total: number; aliveAfterClients: boolean }>(
      'parallel/shutdown.ts',
      {
        args: ['heartbeat-lost'],
      },
    );
    expect(result.total).toBe(5);
    expect(result.aliveAfterClients).toBe(true);
    expect(exits.get(result.pid)).toBe(254);
  });

  it("'connection-closed': spawn returns the connection; closing it ends the worker with code 0", async () => {
    const { result, exits } = await runFixture<{ pid: number; aliveBeforeClose: boolean; aliveAfterClose: boolean }>(
      'parallel/shutdown.ts',
      {
        args: ['connection-closed'],
      },
    );
    expect(result.aliveBeforeClose).toBe(true);
    // close() resolves once the worker has exited.
    expect(result.aliveAfterClose).toBe(false);
    expect(exits.get(result.pid)).toBe(0);
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['abstract socket names', {}],
    [
      "a socket directory (COHORT_SOCKETS=directory): its socket kept through its master's cleanup",
      { COHORT_SOCKETS: 'directory' },
    ],
  ])(
    "'shutdown-called': the worker survives its master, still reachable; shutdown ends it with code 0 (%s)",
    async (_mode, env) => {
      const run = startFixture('parallel/shutdown.ts', { args: ['shutdown-called'], privateTmp: true, env });
      const result = await run.waitFor<{
        status: { code: number };
        shutDownPid: number;
        survivorPid: number;
        survivorRef: { address: { path: string } };
        secret: string;
      }>('RESULT');
      expect(result.status).toEqual({ code: 0, signal: null });
      await run.exited();
      // Its master has exited; give the worker time it would need to notice, then check it is still there.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const survived = isAlive(result.survivorPid);
      // Still reachable through its ref: ask it to shut down, as any process of the app could.
      let answered = false;
      try {
        const connection = await Connection.connect({ address: result.survivorRef.address, secret: result.secret });
        await connection.dispatch(forInternalTesting.shutdownRpc, undefined);
        answered = true;
        await connection.close();
      } catch {
        process.kill(result.survivorPid, 'SIGKILL');
      }
      const gone = await waitGone([result.survivorPid], 5000);
      // Nothing left in TMPDIR: no directory with abstract names; the last worker out of an app whose root is gone
      // removes the socket directory.
      const leftovers = readdirSync(run.dir).filter((name) => name.startsWith('cohort-'));
      const end = await run.finish();
      expect(survived).toBe(true);
      expect(answered).toBe(true);
      expect(gone).toEqual([]);
      expect(end.exits.get(result.survivorPid)).toBe(0);
      expect(end.exits.get(result.shutDownPid)).toBe(0);
      expect(end.workerPids).toHaveLength(2);
      expect(leftovers).toEqual([]);
    },
  );

  it('Parallel.connectAndShutdownOnDisconnect: the worker behind a ref exits 0 when that connection closes', async () => {
    const { result } = await runFixture<{
      total: number;
      aliveBeforeClose: boolean;
      status: { code: number; signal: null };
    }>('parallel/shutdown.ts', {
      args: ['on-disconnect'],
    });
    expect(result.total).toBe(42);
    expect(result.aliveBeforeClose).toBe(true);
    expect(result.status).toEqual({ code: 0, signal: null });
  });
});
