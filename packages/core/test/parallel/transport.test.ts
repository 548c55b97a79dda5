import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, Rpc, RpcError } from '@cohort/rpc';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFixture, type FixtureEnd, type RunningFixture } from '../support/fixture-runner.js';
import {
  abstractSocketNames,
  abstractSocketNamesLeft,
  socketDirectoriesIn,
  socketFilesIn,
  type SocketSpaceReport,
} from '../support/sockets.js';

interface Ready {
  secret: string;
  space: SocketSpaceReport;
  socketPath: string;
  pids: number[];
  grandchildSocket: string;
}

// What a stranger would try to call: the worker's own function, by its wire name.
const add = Rpc.rpc({ name: 'counter/add', input: z.number(), output: z.number() });

async function attempt(path: string, secret: string | undefined): Promise<unknown> {
  try {
    const connection = await Connection.connect({
      address: { path },
      ...(secret === undefined ? {} : { secret }),
      settings: { handshakeTimeoutMs: 5000 },
    });
    try {
      return await connection.dispatch(add, 1);
    } finally {
      await connection.close();
    }
  } catch (error) {
    return error;
  }
}

/** The secret is on no command line and in no environment; a stranger without it (or with another) is refused. */
async function expectSecretKept(run: RunningFixture, ready: Ready): Promise<void> {
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
}

/**
 * Lets the fixture finish (its workers still serve, then are shut down), notes the socket directories left in its
 * TMPDIR, and proves every process gone.
 */
async function proceed(run: RunningFixture): Promise<FixtureEnd & { leftovers: string[] }> {
  writeFileSync(join(run.dir, 'proceed'), '');
  await run.exited();
  // Read before finish() removes the run directory.
  const leftovers = socketDirectoriesIn(run.dir);
  return { ...(await run.finish()), leftovers };
}

describe('local transport', () => {
  it('abstract socket names (Linux): no file or directory, none left at exit; the secret is in no argv or environment; no call without it', async () => {
    const run = startFixture('parallel/transport.ts', { privateTmp: true });
    const { ready, end } = await run.guard(async () => {
      const ready = await run.waitFor<Ready>('READY');
      // Every worker, the grandchild included, listens under the app's one abstract prefix: nothing in TMPDIR.
      expect(ready.space.abstract).toBe(true);
      expect(ready.space.base).toMatch(/^cohort-[0-9a-f]{16}$/);
      expect(ready.socketPath.startsWith(`\0${ready.space.base}/`)).toBe(true);
      expect(ready.grandchildSocket.startsWith(`\0${ready.space.base}/`)).toBe(true);
      expect(abstractSocketNames(ready.space.base)).toHaveLength(3);
      expect(socketDirectoriesIn(run.dir)).toEqual([]);
      await expectSecretKept(run, ready);
      return { ready, end: await proceed(run) };
    });
    expect(end.code).toBe(0);
    expect(end.stdout).toContain('RESULT {"stillServing":1}');
    expect(end.leftovers).toEqual([]);
    expect(await abstractSocketNamesLeft(ready.space.base)).toEqual([]);
  });

  it('COHORT_SOCKETS=directory: a private socket directory (0700) in TMPDIR, removed at exit; no call without the secret', async () => {
    const run = startFixture('parallel/transport.ts', { privateTmp: true, env: { COHORT_SOCKETS: 'directory' } });
    const end = await run.guard(async () => {
      const ready = await run.waitFor<Ready>('READY');
      // Every worker, the grandchild included, listens in the app's one directory inside the run's TMPDIR.
      expect(ready.space.abstract).toBe(false);
      expect(ready.space.base.startsWith(join(run.dir, 'cohort-'))).toBe(true);
      expect(statSync(ready.space.base).mode & 0o777).toBe(0o700);
      expect(ready.grandchildSocket.startsWith(`${ready.space.base}/`)).toBe(true);
      expect(socketFilesIn(ready.space.base)).toHaveLength(3);
      await expectSecretKept(run, ready);
      return proceed(run);
    });
    expect(end.code).toBe(0);
    expect(end.stdout).toContain('RESULT {"stillServing":1}');
    expect(end.leftovers).toEqual([]);
  });
});
