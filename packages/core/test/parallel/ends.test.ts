import { Connection } from '@cohort/rpc';
import { describe, expect, it } from 'vitest';
import { forInternalTesting } from '../../src/testing.js';
import { waitGone } from '../support/processes.js';
import { runFixture, startFixture } from '../support/fixture-runner.js';

// A script that does not end by itself is SIGKILLed (and the test fails, "timed out") after this.
const TIMEOUT_MS = 30_000;

describe('a script ends by itself when it has nothing left to wait for', () => {
  it('its top level done, with idle workers (a handle, a connection-closed connection, a nested worker): it exits, and they go with it', async () => {
    const { result, code, exits } = await runFixture<{ added: number; pids: number[]; aliveAtEnd: number[] }>(
      'parallel/ends.ts',
      {
        args: ['idle'],
        timeoutMs: TIMEOUT_MS,
      },
    );
    expect(code).toBe(0);
    expect(result.added).toBe(1);
    // Alive when the script's last line ran: its end, not a shutdown, ended them (the runner proves them gone).
    expect(result.aliveAtEnd).toEqual(result.pids);
    // The handle's worker lost its spawner (the connection's may see its connection close first: code 0).
    expect(exits.get(result.pids[0]!)).toBe(254);
  });

  it('awaiting a call that takes 1.5 s: it stays until the result arrives', async () => {
    const { result, code, exits } = await runFixture<{ answer: string; pid: number }>('parallel/ends.ts', {
      args: ['slow-call'],
      timeoutMs: TIMEOUT_MS,
    });
    expect(code).toBe(0);
    expect(result.answer).toBe('slept 1500 ms');
    expect(exits.get(result.pid)).toBe(254);
  });

  it('awaiting the exit of a worker it SIGTERMed (which takes 1 s to exit): it stays until the exit', async () => {
    const { result, code } = await runFixture<{ status: unknown; pid: number }>('parallel/ends.ts', {
      args: ['kill-wait'],
      timeoutMs: TIMEOUT_MS,
    });
    expect(code).toBe(0);
    expect(result.status).toEqual({ code: 7, signal: null });
  });

  it.each([
    ['shutdown-called', 'a worker'],
    ['shutdown-called-spare', 'a spare worker (started to die with its master) taken by the spawn'],
  ])(
    "with a 'shutdown-called' worker (%s: %s): the script exits, and the worker outlives it, still serving",
    async (scenario) => {
      const run = startFixture('parallel/ends.ts', { args: [scenario], timeoutMs: TIMEOUT_MS });
      const { result, code, answered, gone, end } = await run.guard(async () => {
        const result = await run.waitFor<{
          added: number;
          tookSpare?: boolean;
          pid: number;
          ref: { address: { path: string } };
          secret: string;
        }>('RESULT', 40_000);
        const { code } = await run.closed;
        // Longer than the master's watchdog gives workers before it SIGKILLs them (0.5 s): it must not count this one.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // Its master is gone: the worker is still reachable through its ref, and shuts down when asked, as any
        // process of the app could ask it.
        let answered: unknown = false;
        try {
          const connection = await Connection.connect({ address: result.ref.address, secret: result.secret });
          await connection.dispatch(forInternalTesting.shutdownRpc, undefined);
          answered = true;
          await connection.close();
        } catch (error) {
          answered = error;
          process.kill(result.pid, 'SIGKILL');
        }
        const gone = await waitGone([result.pid], 5000);
        return { result, code, answered, gone, end: await run.finish() };
      });
      expect(code).toBe(0);
      expect(result.added).toBe(1);
      if (scenario === 'shutdown-called-spare') expect(result.tookSpare).toBe(true);
      expect(answered).toBe(true);
      expect(gone).toEqual([]);
      expect(end.exits.get(result.pid)).toBe(0);
    },
  );
});
