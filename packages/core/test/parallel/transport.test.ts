import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, Rpc, RpcError } from '@cohort/rpc';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFixture } from '../support/fixture-runner.js';

interface Ready {
  secret: string;
  socketDir: string;
  socketPath: string;
  pids: number[];
  grandchildSocket: string;
}

// What a stranger would try to call: the worker's own function, by its wire name.
const add = Rpc.rpc({ name: 'counter/add', input: z.number(), output: z.number() });

async function attempt(path: string, secret: string | undefined): Promise<unknown> {
  try {
    const connection = await Connection.connect({ address: { path }, ...(secret === undefined ? {} : { secret }), settings: { handshakeTimeoutMs: 5000 } });
    try {
      return await connection.dispatch(add, 1);
    } finally {
      await connection.close();
    }
  } catch (error) {
    return error;
  }
}

describe('local transport', () => {
  it('private socket directory removed at exit; the secret is in no argv or environment; no call without it', async () => {
    const run = startFixture('parallel/transport.ts', { privateTmp: true });
    const ready = await run.waitFor<Ready>('READY');
    // Every worker, the grandchild included, listens in the app's one directory inside the run's TMPDIR.
    expect(ready.socketDir.startsWith(join(run.dir, 'cohort-'))).toBe(true);
    expect(statSync(ready.socketDir).mode & 0o777).toBe(0o700);
    expect(ready.grandchildSocket.startsWith(`${ready.socketDir}/`)).toBe(true);
    expect(readdirSync(ready.socketDir).sort()).toHaveLength(3);

    for (const pid of [run.pid, ...ready.pids]) {
      for (const file of ['cmdline', 'environ']) {
        expect(readFileSync(`/proc/${pid}/${file}`, 'utf8'), `/proc/${pid}/${file}`).not.toContain(ready.secret);
      }
    }

    const wrongSecret = await attempt(ready.socketPath, 'not-the-secret');
    expect(wrongSecret).toBeInstanceOf(RpcError);
    expect((wrongSecret as RpcError).code).toMatch(/^(AUTH_FAILED|HANDSHAKE_FAILED)$/);
    const noSecret = await attempt(ready.socketPath, undefined);
    expect(noSecret).toBeInstanceOf(RpcError);
    expect((noSecret as RpcError).code).toMatch(/^(AUTH_FAILED|HANDSHAKE_FAILED)$/);

    writeFileSync(join(run.dir, 'proceed'), '');
    await run.exited();
    const leftovers = readdirSync(run.dir).filter((name) => name.startsWith('cohort-'));
    const end = await run.finish();
    expect(end.code).toBe(0);
    expect(end.stdout).toContain('RESULT {"stillServing":1}');
    expect(leftovers).toEqual([]);
  });
});
