import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import type { ErrorReport } from '../support/fixture-report.js';

interface Info {
  pid: number;
  cwd: string;
  env?: string;
  execArgv: string[];
}

describe('spawn options', () => {
  it("stdout/stderr: 'inherit' prefixes lines with [name], 'ignore' drops them, { file, append } writes a file", async () => {
    const { result, stdout, stderr, workerPids } = await runFixture<{ appended: string; truncated: string }>(
      'parallel/spawn-options.ts',
      {
        args: ['output'],
      },
    );
    expect(workerPids).toHaveLength(5);
    expect(stdout).toContain('[inherited] inherit out 1\n[inherited] inherit out 2\n');
    expect(stdout).toContain('[inherited] inherit partial\n');
    expect(stderr).toContain('[inherited] inherit err 1\n');
    const forwarded = (stdout + stderr).split('\n').filter((line) => !line.startsWith('RESULT '));
    expect(forwarded.join('\n')).not.toMatch(/ignore|first|second|third/);
    // A file gets the raw output, no prefix; `append` keeps what was there, the default truncates.
    expect(result.appended).toBe(
      'first out 1\nfirst out 2\nfirst partialsecond out 1\nsecond out 2\nsecond partialsecond err 1\n',
    );
    expect(result.truncated).toBe('third out 1\nthird out 2\nthird partial');
  });

  it('cwd, env and execArgv reach the worker; execArgv adds to the spawner’s', async () => {
    const { result, workerPids } = await runFixture<{
      info: Info;
      elsewhereInfo: Info;
      grandchildInfo: Info;
      plainInfo: Info;
      masterExecArgv: string[];
      masterCwd: string;
    }>('parallel/spawn-options.ts', { args: ['process'] });
    expect(workerPids).toHaveLength(5);
    expect(result.elsewhereInfo.cwd).toBe(dirname(result.masterCwd));
    expect(result.grandchildInfo.cwd).toBe('/');
    expect(result.info.cwd).toBe(result.masterCwd);
    expect(result.info.env).toBe('bar');
    expect(result.info.execArgv).toEqual([...result.masterExecArgv, '--max-old-space-size=200', '--no-warnings']);
    expect(result.plainInfo.cwd).toBe(result.masterCwd);
    expect(result.plainInfo.env).toBeUndefined();
    expect(result.plainInfo.execArgv).toEqual(result.masterExecArgv);
  });

  it('spawnTimeoutMs: a worker not ready in time is killed and spawn rejects SPAWN_TIMEOUT', async () => {
    const { result, workerPids } = await runFixture<{
      error: ErrorReport | null;
      elapsedMs: number;
      children: number[];
    }>('parallel/spawn-options.ts', {
      args: ['spawn-timeout'],
    });
    // On a loaded machine the worker may be killed before it even recorded itself; either way nothing remains.
    expect(workerPids.length).toBeLessThanOrEqual(1);
    expect(result.children).toEqual([]);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_TIMEOUT' });
    expect(result.error?.message).toMatch(/worker "slow" .*did not report ready within 1000 ms/);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(result.elapsedMs).toBeLessThan(10_000);
  });

  it("connectionTimeoutMs: a 'connection-closed' worker whose connection is not ready in time exits; one that is, stays", async () => {
    const { result, workerPids } = await runFixture<{ error: ErrorReport | null; total: number }>(
      'parallel/spawn-options.ts',
      {
        args: ['connection-timeout'],
      },
    );
    expect(workerPids).toHaveLength(2);
    expect(result.error?.message).toMatch(/worker "impatient"/);
    expect(result.error?.message).toContain('exited with code 254');
    expect(result.total).toBe(2);
  });

  it('rpc settings apply to the worker’s connections', async () => {
    const { result } = await runFixture<{ tooBig: ErrorReport | null; stillWorks: number }>(
      'parallel/spawn-options.ts',
      { args: ['rpc'] },
    );
    expect(result.tooBig).toMatchObject({ name: 'RpcError', code: 'MESSAGE_TOO_BIG' });
    expect(result.stillWorks).toBe(1);
  });

  it('init and connectionInit that fail their schemas: ValidationError before any process starts', async () => {
    const { result, workerPids } = await runFixture<Record<string, ErrorReport | null> & { children: number[] }>(
      'parallel/spawn-options.ts',
      {
        args: ['invalid-args'],
      },
    );
    expect(workerPids).toEqual([]);
    expect(result.children).toEqual([]);
    expect(result.badInit).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('workerInit') });
    expect(result.badConnectionInit).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('connectionInit'),
    });
    expect(result.missingConnectionInit).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('connectionInit'),
    });
  });

  it('bad execArgv: spawn rejects SPAWN_FAILED with node’s complaint, no process left', async () => {
    const { result, workerPids } = await runFixture<{ error: ErrorReport | null; children: number[] }>(
      'parallel/spawn-options.ts',
      { args: ['bad-exec-argv'] },
    );
    // Node refused the flag before running any of the program: nothing was recorded, and nothing may remain.
    expect(workerPids).toEqual([]);
    expect(result.children).toEqual([]);
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
    expect(result.error?.message).toMatch(/worker "bad-flags" .*exited with code 9 before it was ready/);
    expect(result.error?.message).toContain('--no-such-node-flag');
  });
});
