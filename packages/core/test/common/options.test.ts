// Every option of every entry point is checked where it is given: a wrong type, a bad value, a misspelt name or a
// contradiction is a CohortError INVALID_ARGUMENT that names the call and the option. Nothing here starts a process.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Hosts, MapReduce, Scheduler, startApp } from '../../src/index.js';
import { resolveSpawnOptions } from '../../src/parallel/spawn-options.js';

const invalid = (pattern: RegExp) =>
  expect.objectContaining({ name: 'CohortError', code: 'INVALID_ARGUMENT', message: expect.stringMatching(pattern) });

describe('spawn options', () => {
  const where = 'counter.spawn()';
  it.each([
    [{ spawnTimeoutMs: -1 }, /spawnTimeoutMs/],
    [{ spawnTimeoutMs: 1.5 }, /spawnTimeoutMs/],
    [{ spawnTimeoutMs: '100' }, /spawnTimeoutMs/],
    [{ connectionTimeoutMs: 0, shutdownOn: 'connection-closed' }, /connectionTimeoutMs/],
    [{ shutdownOn: 'never' }, /shutdownOn/],
    [{ name: '' }, /name/],
    [{ cwd: 42 }, /cwd/],
    [{ env: { A: 1 } }, /env\.A/],
    [{ execArgv: '--inspect' }, /execArgv/],
    [{ stdout: 'pipe' }, /stdout/],
    [{ stderr: { path: 'x' } }, /stderr/],
    [{ host: { name: 'nowhere' } }, /host: must be a Host/],
    [{ onFailure: 'log' }, /onFailure: must be a function/],
    [{ rpc: 'fast' }, /rpc/],
    [{ rpc: { heartbeat: { intervalMs: -5 } } }, /rpc.*heartbeat\.intervalMs/],
    [{ spawnTimoutMs: 100 }, /spawnTimoutMs/],
  ])('%j is refused, naming the option', (options, pattern) => {
    expect(() => resolveSpawnOptions(options, where)).toThrow(
      invalid(new RegExp(`^counter\\.spawn\\(\\).*${pattern.source}`)),
    );
  });

  it("connectionTimeoutMs without shutdownOn: 'connection-closed' is a contradiction", () => {
    expect(() => resolveSpawnOptions({ connectionTimeoutMs: 100 }, where)).toThrow(
      invalid(/connectionTimeoutMs applies only to shutdownOn: 'connection-closed'/),
    );
  });

  it('fills every default from one place', () => {
    expect(resolveSpawnOptions(undefined, where)).toMatchObject({
      shutdownOn: 'heartbeat-lost',
      spawnTimeoutMs: 20_000,
      connectionTimeoutMs: 10_000,
    });
    expect(resolveSpawnOptions({ shutdownOn: 'connection-closed', connectionTimeoutMs: 5 }, where)).toMatchObject({
      connectionTimeoutMs: 5,
    });
  });
});

describe('scheduler.run options', () => {
  it.each([
    [{ maxWorkers: 0 }, /maxWorkers: must be an integer ≥ 1/],
    [{ maxWorkers: 2.5 }, /maxWorkers/],
    [{ workerIdleTimeoutMs: -1 }, /workerIdleTimeoutMs/],
    [{ onEmptyQueue: true }, /onEmptyQueue: must be a function/],
    [{ trace: '' }, /trace/],
    [{ spawn: { spawnTimeoutMs: 0 } }, /option spawn.*spawnTimeoutMs/],
    [{ spawn: { init: 1 } }, /option spawn.*init/],
    [{ maxworkers: 2 }, /maxworkers/],
  ])('%j rejects (does not throw), naming the option', async (options, pattern) => {
    const scheduler = new Scheduler();
    const run = scheduler.run(options as never);
    await expect(run).rejects.toEqual(invalid(new RegExp(`^scheduler\\.run\\(\\).*${pattern.source}`)));
  });
});

describe('map-reduce options', () => {
  const Double = MapReduce.define({
    name: 'options-test-double',
    input: z.number(),
    output: z.number(),
    map: (_p, n) => 2 * n,
  });
  const first = (options: object) => MapReduce.map(Double, [1], options as never).next();

  it.each([
    [{ workers: 0 }, /workers: needs at least one worker/],
    [{ workers: 'many' }, /workers/],
    [{ hosts: [{ host: Hosts.local(), workers: -1 }] }, /hosts\.0\.workers/],
    [{ hosts: [{ host: 'local', workers: 1 }] }, /hosts\.0\.host: must be a Host/],
    [{ hosts: [{ host: Hosts.local(), workers: 0 }] }, /needs at least one worker/],
    [{ batching: 'yes' }, /batching/],
    [{ onProgress: 1 }, /onProgress/],
    [{ spawn: { cwd: '' } }, /option spawn.*cwd/],
  ])('%j rejects before any worker starts, naming the option', async (options, pattern) => {
    await expect(first(options)).rejects.toEqual(
      invalid(new RegExp(`^MapReduce\\(options-test-double\\).*${pattern.source}`)),
    );
  });

  it('workers together with hosts (or with spawn.host) is a contradiction, not a precedence rule', async () => {
    const hosts = [{ host: Hosts.local(), workers: 1 }];
    await expect(first({ workers: 2, hosts })).rejects.toEqual(
      invalid(/give either hosts, or workers \(with spawn\.host\), not both/),
    );
    await expect(first({ spawn: { host: Hosts.local() }, hosts })).rejects.toEqual(invalid(/not both/));
  });
});

describe('other entry points', () => {
  it('startApp: a bad option rejects and starts nothing', async () => {
    await expect(startApp({ spareWorkers: -1 })).rejects.toEqual(invalid(/^startApp\(\).*spareWorkers/));
    await expect(startApp({ spareworkers: 1 } as never)).rejects.toEqual(invalid(/spareworkers/));
  });

  it('Hosts.ssh: a bad option throws at once', () => {
    expect(() => Hosts.ssh({ destination: '-oProxyCommand=x' })).toThrow(invalid(/^Hosts\.ssh.*destination/));
    expect(() => Hosts.ssh({ destination: 'me@box', cwd: 'relative' })).toThrow(
      invalid(/cwd: must be an absolute path/),
    );
    expect(() => Hosts.ssh({ destination: 'me@box', port: 22 } as never)).toThrow(invalid(/port/));
  });
});
