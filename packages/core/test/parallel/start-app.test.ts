import * as nodeModule from 'node:module';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CohortError, Parallel, startApp } from '../../src/index.js';
import { runFixture } from '../support/fixture-runner.js';
import type { ErrorReport } from '../support/fixture-report.js';

interface RerunResult {
  afterStartApp: string[];
  launchDirVariable?: string;
  beforeStart: ErrorReport | null;
  info: { pid: number; execArgv: string[]; env?: string };
  cmdline: string[];
  masterExecArgv: string[];
  execPath: string;
  entry: string;
  status: { code: number; signal: null };
}

describe('startApp', () => {
  it('workers re-run execPath + execArgv + the entry script under tsx; startApp never resolves in a worker; spawn before startApp rejects', async () => {
    const { result, workerPids, pid } = await runFixture<RerunResult>('parallel/start-app.ts', {
      args: ['rerun'],
      tsx: true,
    });
    expect(workerPids).toEqual([result.info.pid]);
    // The same node, the same flags (tsx's loader), the same script, the same arguments.
    expect(result.masterExecArgv).toEqual(expect.arrayContaining(['--import', 'tsx']));
    expect(result.info.execArgv).toEqual(result.masterExecArgv);
    expect(result.cmdline).toEqual([result.execPath, ...result.masterExecArgv, result.entry, 'rerun']);
    // The marker is consumed: the worker's own children are not mistaken for workers (nor for parts of this app).
    expect(result.info.env).toBeUndefined();
    expect(result.launchDirVariable).toBeUndefined();
    expect(result.status).toEqual({ code: 0, signal: null });
    // Only the master ran the code after `await startApp()`.
    expect(result.afterStartApp).toEqual([String(pid)]);
    // The fixture tried a spawn before startApp: refused, with the remedy.
    expect(result.beforeStart).toMatchObject({ name: 'CohortError', code: 'APP_NOT_STARTED' });
    expect(result.beforeStart?.message).toContain('call `await startApp()`');
  });

  it('works as compiled JS (dist/, plain node, no loader), with the module compile cache on where Node has one', async () => {
    const { result, workerPids, pid } = await runFixture<{
      afterStartApp: string[];
      squares: number[];
      info: {
        execArgv: string[];
        pid: number;
        marker?: string;
        compileCacheDir?: string;
        compileCacheEnv?: string;
        costlyBuiltins: string[];
      };
      cmdline: string[];
      masterExecArgv: string[];
      entry: string;
      status: { code: number };
    }>('parallel/compiled.mjs');
    expect(workerPids).toEqual([result.info.pid]);
    expect(result.squares).toEqual([1, 4, 9]);
    expect(result.masterExecArgv).toEqual([]);
    expect(result.info.execArgv).toEqual([]);
    expect(result.cmdline).toEqual([process.execPath, result.entry]);
    expect(result.info.marker).toBeUndefined();
    // Node ≥ 22.1: the worker loaded its modules with the compile cache, and its own children will not inherit it.
    const hasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    if (hasCompileCache) expect(result.info.compileCacheDir).toEqual(expect.any(String));
    else expect(result.info.compileCacheDir).toBeUndefined();
    expect(result.info.compileCacheEnv).toBeUndefined();
    // Its handshake hashed with bundled code, its nonces came from /dev/urandom: no OpenSSL start in a local worker.
    expect(result.info.costlyBuiltins).toEqual([]);
    expect(result.status.code).toBe(0);
    expect(result.afterStartApp).toEqual([String(pid)]);
  });

  it('an entry script that fails before startApp in the worker: spawn rejects with its stderr, no process left', async () => {
    const { result, workerPids } = await runFixture<{ error: ErrorReport | null; children: number[] }>(
      'parallel/start-app.ts',
      { args: ['bad-entry'] },
    );
    expect(workerPids).toHaveLength(1);
    expect(result.children).toEqual([]);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toMatch(/worker "broken" .*exited with code 1 before it was ready/);
    expect(result.error?.message).toContain('the entry script breaks at top level');
  });

  it('spareWorkers: spawns take spares under their own names; the program still ends while a spare waits', async () => {
    const { result, workerPids, stdout, code } = await runFixture<{
      spawns: Array<{ pid: number; startedBeforeSpawn: boolean }>;
      movedCwd: string;
      lateEnv: string | undefined;
    }>('parallel/start-app.ts', {
      args: ['spares'],
    });
    expect(code).toBe(0);
    // Each spawn took a process launched before it was called, and named it.
    for (const spawned of result.spawns) {
      expect(spawned.startedBeforeSpawn).toBe(true);
      expect(workerPids).toContain(spawned.pid);
    }
    for (const name of ['first', 'second']) expect(stdout).toContain(`[${name}] hello from ${name}\n`);
    // After the program moved, a spawn starts in its new directory, not in a spare's.
    expect(result.movedCwd).toBe('/');
    // And after the environment changed, in the new environment.
    expect(result.lateEnv).toBe('late');
  });

  it('a worker whose program does not define the requested type: spawn rejects naming the type and the entry, no process left', async () => {
    const { result, workerPids } = await runFixture<{ error: ErrorReport | null; entry: string }>(
      'parallel/start-app.ts',
      { args: ['missing-type'] },
    );
    expect(workerPids).toHaveLength(1);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toContain('"master-only"');
    expect(result.error?.message).toContain(result.entry);
    expect(result.error?.message).toContain('worker "lost"');
  });
});

describe('Parallel.make', () => {
  const nop = z.void();
  it('defining the same worker type name twice throws DUPLICATE_NAME', () => {
    Parallel.make({
      name: 'twice',
      functions: (f) => ({ a: f.rpc({ input: nop, output: nop, run: () => undefined }) }),
    });
    const again = () => Parallel.make({ name: 'twice', functions: () => ({}) });
    expect(again).toThrow(CohortError);
    expect(again).toThrow(/worker type "twice" is defined twice/);
  });

  it('refuses reserved or malformed names', () => {
    for (const name of ['', '__internal', 'a/b']) {
      expect(() => Parallel.make({ name, functions: () => ({}) })).toThrow(/invalid/);
    }
  });

  it('a function with a misspelt schema key throws at definition, naming the type and the function', () => {
    const define = () =>
      Parallel.make({
        name: 'misspelt',
        // `output` where a pipe takes `item`: what an unchecked (tsx, plain JS) program can do.
        functions: (f) => ({ count: f.pipe({ input: nop, output: z.number(), run: async function* () {} } as never) }),
      });
    expect(define).toThrow('RPC "misspelt/count" (pipe) needs a zod schema `item`, got none');
  });

  it('connectAndShutdownOnDisconnect rejects (does not throw) on a bad ref or an unknown type', async () => {
    const badRef = Parallel.connectAndShutdownOnDisconnect({ nonsense: true } as never);
    await expect(badRef).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const ref = { type: 'nowhere', id: 'x', name: 'x', pid: 1, address: { path: '/nonexistent.sock' } };
    await expect(Parallel.connectAndShutdownOnDisconnect(ref)).rejects.toMatchObject({ code: 'WRONG_WORKER_TYPE' });
  });

  it('startApp with invalid RPC settings rejects (does not throw) and starts nothing', async () => {
    const started = startApp({ rpc: { heartbeat: { intervalMs: -1, timeoutMs: 10 } } });
    await expect(started).rejects.toThrow(/invalid RPC settings/);
  });

  it('spawn in a program that never called startApp rejects with APP_NOT_STARTED', async () => {
    const Lonely = Parallel.make({ name: 'lonely', functions: () => ({}) });
    await expect(Lonely.spawn()).rejects.toMatchObject({
      code: 'APP_NOT_STARTED',
      message: expect.stringContaining('call `await startApp()`'),
    });
    await expect(Lonely.serve()).rejects.toMatchObject({ code: 'APP_NOT_STARTED' });
  });
});
