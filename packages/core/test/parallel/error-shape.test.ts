// Issue 14: what a caller gets when a worker throws, field by field, through every entry point (a worker's run, a
// pipe, a pool, a scheduler task, a map-reduce), with real worker processes; hostile errors never break the worker.
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';

interface Shape {
  class: string;
  name: string;
  message: string;
  frames: string[];
  own: Record<string, unknown>;
  cause?: Shape | { value: unknown } | string;
  errors?: Array<Shape | { value: unknown }>;
}
interface Remote {
  isError: boolean;
  shape: Shape;
  remoteStackHead: string[];
  remoteStackLength: number;
}

/** The first frame is the fixture's named caller (`at async caller` when found through the awaiting functions). */
function pointsAt(shape: Shape, caller: string): void {
  expect(shape.frames[0]).toMatch(new RegExp(`^ {4}at (async )?${caller} \\(.*error-shape\\.ts:\\d+:\\d+\\)$`));
  // No frame of Cohort's own nor of Node's.
  expect(shape.frames.filter((line) => line.includes('/src/') || line.includes('node:internal'))).toEqual([]);
}

/** The QuotaError of the issue, as a RemoteError and as its rebuilt cause, with the cause chain below it. */
function expectQuota(remote: Remote, rpc: RegExp, peer: RegExp): void {
  const { shape } = remote;
  expect(remote.isError).toBe(true);
  expect(shape.class).toBe('RemoteError');
  expect(shape.name).toBe('RemoteError');
  expect(shape.own['remoteName']).toBe('QuotaError');
  expect(shape.own['remoteMessage']).toBe('over quota');
  expect(shape.own['remoteCode']).toBe('E_QUOTA');
  expect(shape.own['remoteFields']).toEqual({ limit: 42 });
  expect(shape.own['rpc']).toMatch(rpc);
  expect(shape.own['peer']).toMatch(peer);
  expect(shape.message).toBe(`QuotaError in ${shape.own['rpc']} on ${shape.own['peer']}: over quota`);
  // The remote stack, source-mapped to the TypeScript that threw (tsx runs the workers with source maps).
  expect(remote.remoteStackHead[0]).toBe('QuotaError: over quota');
  expect(remote.remoteStackHead[1]).toMatch(/^ {4}at makeError \(.*error-shape\.ts:\d+:\d+\)$/);

  const cause = shape.cause as Shape;
  expect(cause.class).toBe('Error');
  expect(cause.name).toBe('QuotaError');
  expect(cause.message).toBe('over quota');
  expect(cause.own).toEqual({ code: 'E_QUOTA', limit: 42 });
  expect(cause.frames[0]).toMatch(/at makeError \(.*error-shape\.ts/);

  const inner = cause.cause as Shape;
  expect(inner.class).toBe('TypeError');
  expect(inner.name).toBe('TypeError');
  expect(inner.message).toBe('inner cause');
  expect(inner.own).toEqual({});
  expect(inner.cause).toEqual({ value: { plain: 'value', n: 7 } });
}

describe('errors across the boundary keep everything', () => {
  it("worker.run and a pipe: name, message, code, fields, cause chain, AggregateError.errors, and the caller's line", async () => {
    const { result } = await runFixture<{
      quota: Remote;
      aggregate: Remote;
      pipe: Remote;
      functionField: Remote;
      fieldTypes: Record<string, string>;
      status: { code: number };
    }>('parallel/error-shape.ts', { args: ['worker'] });
    expectQuota(result.quota, /^thrower\/fail$/, /^worker "shapes" \(pid \d+\)$/);
    pointsAt(result.quota.shape, 'callerOfRun');

    const aggregate = result.aggregate.shape;
    expect(aggregate.own['remoteName']).toBe('AggregateError');
    expect(aggregate.own['remoteMessage']).toBe('several things failed');
    const rebuilt = aggregate.cause as Shape;
    expect(rebuilt.class).toBe('AggregateError');
    expect(rebuilt.errors).toHaveLength(3);
    const [first, second, third] = rebuilt.errors as [Shape, { value: unknown }, Shape];
    expect([first.class, first.name, first.message]).toEqual(['RangeError', 'RangeError', 'first']);
    expect(second).toEqual({ value: 'second, a string' });
    expect([third.class, third.name, third.message, third.own]).toEqual([
      'Error',
      'QuotaError',
      'third',
      { code: 'E_QUOTA', limit: 42 },
    ]);
    pointsAt(aggregate, 'callerOfRun');

    // A pipe that breaks mid-stream: the same error, pointing at the loop that read it.
    expectQuota(result.pipe, /^thrower\/breakAfterOne$/, /^worker "shapes"/);
    pointsAt(result.pipe.shape, 'readerOfPipe');

    // Fields the codec cannot carry are replaced by a marker; the others keep their type.
    expect(result.functionField.shape.own['remoteFields']).toMatchObject({
      callback: '[dropped: a function (callback)]',
    });
    expect(result.fieldTypes).toEqual({ callback: 'string', when: 'Date', id: 'bigint' });
    expect(result.status.code).toBe(0);
  });

  it('pool.run: the same RemoteError, pointing at the caller', async () => {
    const { result } = await runFixture<{ quota: Remote; after: string }>('parallel/error-shape.ts', {
      args: ['pool'],
    });
    expectQuota(result.quota, /^thrower\/fail$/, /^worker "thrower-pool-0" \(pid \d+\)$/);
    pointsAt(result.quota.shape, 'callerOfRun');
    expect(result.after).toBe('still serving');
  });

  it("a scheduler task's failure: onFinish's result is { ok, error } as before, with the RemoteError as its cause", async () => {
    const { result } = await runFixture<{ results: Array<{ json: string; cause: Remote }> }>(
      'parallel/error-shape.ts',
      { args: ['scheduler'] },
    );
    const [quota, aggregate] = result.results as [{ json: string; cause: Remote }, { json: string; cause: Remote }];
    expect(JSON.parse(quota.json)).toEqual({ ok: false, error: 'over quota' });
    expectQuota(quota.cause, /^task quota-task$/, /^worker "scheduler-worker-0" \(pid \d+\)$/);
    // A task's failure is no rejection: its stack points at the line that called scheduler.run.
    pointsAt(quota.cause.shape, 'runnerOfScheduler');
    expect(JSON.parse(aggregate.json)).toEqual({ ok: false, error: 'several things failed' });
    expect((aggregate.cause.shape.cause as Shape).errors).toHaveLength(3);
  });

  it("a map-reduce's failure: a RemoteError whose cause is the MapError, whose cause is what map threw", async () => {
    const { result } = await runFixture<{ error: Remote }>('parallel/error-shape.ts', { args: ['mapreduce'] });
    const shape = result.error.shape;
    expect(shape.class).toBe('RemoteError');
    expect(shape.own['remoteName']).toBe('MapError');
    expect(shape.own['data']).toEqual({ index: 2, name: 'QuotaError' });
    pointsAt(shape, 'callerOfMapReduce');
    // The MapError's stack is that of the line in map that threw, not Cohort's.
    expect(result.error.remoteStackHead[1]).toMatch(/at makeError \(.*error-shape\.ts/);
    const mapError = shape.cause as Shape;
    expect([mapError.name, mapError.own]).toEqual(['MapError', { data: { index: 2, name: 'QuotaError' } }]);
    const thrown = mapError.cause as Shape;
    expect([thrown.class, thrown.name, thrown.message, thrown.own]).toEqual([
      'Error',
      'QuotaError',
      'over quota',
      { code: 'E_QUOTA', limit: 42 },
    ]);
    expect((thrown.cause as Shape).class).toBe('TypeError');
  });

  it('hostile errors (10 MiB message, cycles, throwing getters, 500 causes) are cut to size; the worker keeps serving', async () => {
    const { result } = await runFixture<{
      results: Record<'huge' | 'cycle' | 'getters' | 'deep', Remote & { causes: { count: number; last: unknown } }>;
      after: string;
      status: { code: number };
    }>('parallel/error-shape.ts', { args: ['hostile'] });
    const { huge, cycle, getters, deep } = result.results;

    const hugeMessage = huge.shape.own['remoteMessage'] as string;
    expect(hugeMessage.length).toBeLessThan(20_000);
    expect(hugeMessage).toMatch(/^x+… \[truncated: \d+ more characters\]$/);
    expect(huge.remoteStackLength).toBeLessThan(70_000);
    pointsAt(huge.shape, 'callerOfRun');

    // a → b → a: the loop is cut where it closes; a field holding the error itself is shown as its name and message.
    expect(cycle.shape.own['remoteMessage']).toBe('a');
    expect(cycle.shape.own['remoteFields']).toEqual({ self: { name: 'Error', message: 'a' } });
    expect(cycle.causes).toEqual({ count: 1, last: '[dropped: a cycle: this error is its own cause]' });

    expect(getters.shape.own['remoteMessage']).toBe('[dropped: reading message threw Error: no message]');
    expect(getters.shape.own['remoteFields']).toEqual({
      code: '[dropped: reading code threw Error: no code]',
      sneaky: '[dropped: reading sneaky threw Error: no sneaky]',
    });
    expect(getters.remoteStackLength).toBe(0);
    expect(getters.causes).toEqual({ count: 0, last: '[dropped: reading cause threw Error: no cause]' });

    expect(deep.shape.own['remoteMessage']).toBe('level 1');
    expect(deep.causes).toEqual({ count: 16, last: '[dropped: errors nested deeper than 16 levels]' });

    expect(result.after).toBe('still serving');
    expect(result.status.code).toBe(0);
  });
});

describe("Cohort's own failures of an entry point", () => {
  it("a failed spawn and a map-reduce's bad option point at the line that called them", async () => {
    const { result } = await runFixture<{ spawn: Shape; mapReduce: Shape }>('parallel/error-shape.ts', {
      args: ['entry-points'],
    });
    expect(result.spawn).toMatchObject({ name: 'CohortError', own: { code: 'SPAWN_FAILED' } });
    pointsAt(result.spawn, 'callerOfSpawn');
    expect(result.mapReduce).toMatchObject({ name: 'CohortError', own: { code: 'INVALID_ARGUMENT' } });
    pointsAt(result.mapReduce, 'callerOfBadMapReduce');
  });
});

describe('the remote stack of compiled JS', () => {
  type Compiled = { isRemote: boolean; remoteCode: string; remoteStack: string; stack: string };
  it('names the TypeScript sources when the worker runs with --enable-source-maps (inherited from the master), the bundle otherwise', async () => {
    const mapped = await runFixture<Compiled>('parallel/compiled-errors.mjs', { nodeArgs: ['--enable-source-maps'] });
    expect(mapped.result).toMatchObject({ isRemote: true, remoteCode: 'INVALID_ARGUMENT' });
    expect(mapped.result.remoteStack).toMatch(/^CohortError: not a WorkerRef/);
    expect(mapped.result.remoteStack).toMatch(/\(.*\/src\/parallel\/connect\.ts:\d+:\d+\)/);
    // The bundle's code is in dist/index.js's main chunk (dist/chunk-*.js).
    expect(mapped.result.remoteStack).not.toMatch(/\/dist\/[\w-]+\.js/);
    // The caller's side: the line of the compiled fixture that awaited the call.
    expect(mapped.result.stack.split('\n')[1]).toMatch(/compiled-errors\.mjs:\d+:\d+/);

    const plain = await runFixture<Compiled>('parallel/compiled-errors.mjs');
    expect(plain.result.remoteStack).toMatch(/\(.*\/dist\/chunk-\w+\.js:\d+:\d+\)/);
    expect(plain.result.remoteStack).not.toContain('connect.ts');
  });
});
