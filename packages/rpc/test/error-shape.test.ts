// What a RemoteError holds: the thrown error's name, message, stack, code, own fields, cause chain (errors or plain
// values) and an AggregateError's errors, compared field by field; fields that cannot travel become markers. Hostile
// errors (cycles, throwing getters, huge messages, deep chains, proxies, exotic values) are cut to the documented
// limits and never break the connection.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc } from '../src/index.js';
import { THROWN_LIMITS } from '../src/connection/serialize-thrown.js';
import { stillWorks } from './fixtures/recorder.js';
import { add } from './fixtures/protocol.js';
import { rejection, transports, useHarness } from './helpers.js';

const h = useHarness();

class QuotaError extends Error {
  override readonly name = 'QuotaError';
  readonly code = 'E_QUOTA';
  readonly limit = 42;
}

/** One RPC whose implementation throws whatever the test gives it. */
function thrower(make: () => unknown) {
  const boom = Rpc.rpc({ name: 'boom', input: z.void(), output: z.void() });
  const implementations = [
    Rpc.implement(boom, function throwsForTheTest() {
      throw make();
    }),
    Rpc.implement(add, ([a, b]) => a + b),
  ];
  return { boom, implementations };
}

async function thrown(transport: 'unix' | 'tcp', make: () => unknown): Promise<RemoteError> {
  const { boom, implementations } = thrower(make);
  const { client } = await h.pair(transport, { server: { implementations, description: 'the server' } });
  const error = await rejection(client.dispatch(boom, undefined));
  expect(error).toBeInstanceOf(RemoteError);
  // Whatever was thrown, the connection serves the next call.
  await stillWorks(client);
  return error as RemoteError;
}

describe.each(transports)('what a RemoteError holds, over %s', (transport) => {
  it('name, message, stack, code, fields and a cause chain, on the RemoteError and on its rebuilt cause', async () => {
    const error = await thrown(transport, () => new QuotaError('over quota', { cause: new TypeError('inner cause') }));
    expect(error.name).toBe('RemoteError');
    expect(error.message).toBe('QuotaError in boom on the server: over quota');
    expect(error.remoteName).toBe('QuotaError');
    expect(error.remoteMessage).toBe('over quota');
    expect(error.remoteCode).toBe('E_QUOTA');
    expect(error.remoteFields).toEqual({ limit: 42 });
    expect(error.remoteStack).toMatch(/^QuotaError: over quota\n {4}at /);
    expect(error.remoteStack).toContain('at throwsForTheTest (');
    expect(error.rpc).toBe('boom');
    expect(error.peer).toBe('the server');
    expect(error.data).toBeUndefined();

    const remote = error.cause as Error & { code?: unknown; limit?: unknown };
    expect(remote).toBeInstanceOf(Error);
    expect(remote.name).toBe('QuotaError');
    expect(remote.message).toBe('over quota');
    expect(remote.stack).toBe(error.remoteStack);
    expect(remote.code).toBe('E_QUOTA');
    expect(remote.limit).toBe(42);
    // As on a native error: name, stack and cause are not enumerable; code and the fields are.
    expect(Object.keys(remote).sort()).toEqual(['code', 'limit']);

    const inner = remote.cause as Error;
    expect(inner).toBeInstanceOf(TypeError);
    expect(inner.name).toBe('TypeError');
    expect(inner.message).toBe('inner cause');
    expect(inner.stack).toMatch(/^TypeError: inner cause\n {4}at /);
    expect(inner.stack).toContain('at throwsForTheTest (');
    expect(inner.cause).toBeUndefined();
    expect('cause' in inner).toBe(false);
  });

  it('causes that are not errors arrive as the values themselves', async () => {
    for (const cause of [42, 'a reason', null, { retryAfterMs: 500, hosts: ['a', 'b'] }, [1, [2, [3]]], undefined]) {
      const error = await thrown(transport, () => new Error('with a plain cause', { cause }));
      const remote = error.cause as Error;
      expect('cause' in remote).toBe(true);
      expect(remote.cause).toEqual(cause);
    }
  });

  it("an AggregateError's errors, errors and values mixed, each rebuilt", async () => {
    const error = await thrown(
      transport,
      () => new AggregateError([new RangeError('first'), new QuotaError('second'), 'third', { n: 4 }], 'several'),
    );
    expect(error.remoteName).toBe('AggregateError');
    expect(error.remoteMessage).toBe('several');
    const remote = error.cause as AggregateError;
    expect(remote).toBeInstanceOf(AggregateError);
    expect(remote.message).toBe('several');
    expect(remote.errors).toHaveLength(4);
    const [first, second, third, fourth] = remote.errors as [
      RangeError,
      Error & { code: string; limit: number },
      string,
      unknown,
    ];
    expect(first).toBeInstanceOf(RangeError);
    expect(first.message).toBe('first');
    expect(first.stack).toMatch(/^RangeError: first\n {4}at /);
    expect(second.name).toBe('QuotaError');
    expect(second.message).toBe('second');
    expect(second.code).toBe('E_QUOTA');
    expect(second.limit).toBe(42);
    expect(third).toBe('third');
    expect(fourth).toEqual({ n: 4 });
  });

  it('a numeric code, data, and fields of every kind that survives the codec', async () => {
    const error = await thrown(transport, () =>
      Object.assign(new Error('rich'), {
        code: 503,
        data: { index: 7 },
        text: 'é ✓',
        count: -0,
        big: 2n ** 70n,
        flag: false,
        nothing: null,
        missing: undefined,
        when: new Date(86_400_000),
        bytes: new Uint8Array([1, 2, 3]),
        nested: { list: [1, { deep: 'yes' }] },
      }),
    );
    expect(error.remoteCode).toBe(503);
    expect(error.data).toEqual({ index: 7 });
    const fields = error.remoteFields as Record<string, unknown>;
    expect(Object.keys(fields).sort()).toEqual([
      'big',
      'bytes',
      'count',
      'data',
      'flag',
      'missing',
      'nested',
      'nothing',
      'text',
      'when',
    ]);
    expect(fields['text']).toBe('é ✓');
    expect(Object.is(fields['count'], -0)).toBe(true);
    expect(fields['big']).toBe(2n ** 70n);
    expect(fields['flag']).toBe(false);
    expect(fields['nothing']).toBeNull();
    expect(fields['missing']).toBeUndefined();
    expect(fields['when']).toEqual(new Date(86_400_000));
    expect(new Uint8Array(fields['bytes'] as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
    expect(fields['nested']).toEqual({ list: [1, { deep: 'yes' }] });
    expect(fields['data']).toEqual({ index: 7 });
    const remote = error.cause as Error & Record<string, unknown>;
    expect(remote['code']).toBe(503);
    expect(remote['data']).toEqual({ index: 7 });
    expect(remote['nested']).toEqual({ list: [1, { deep: 'yes' }] });
  });

  it('fields that cannot travel are dropped with a marker, in their place', async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const looped: Record<string, unknown> = { name: 'loop' };
    looped['self'] = looped;
    const error = await thrown(transport, () => {
      const e = Object.assign(new Error('exotic'), {
        fn: function callback() {},
        sym: Symbol('tag'),
        point: new Point(1),
        map: new Map([[1, 2]]),
        looped,
        wrapped: new TypeError('an error in a field'),
        toString: 'not a function',
      });
      Object.defineProperty(e, 'angry', {
        enumerable: true,
        get: () => {
          throw new Error('no reading me');
        },
      });
      return e;
    });
    const fields = error.remoteFields as Record<string, unknown>;
    expect(fields['fn']).toBe('[dropped: a function (callback)]');
    expect(fields['sym']).toBe('[dropped: Symbol(tag)]');
    expect(fields['point']).toBe('[dropped: an instance of Point]');
    expect(fields['map']).toBe('[dropped: an instance of Map]');
    expect(fields['looped']).toEqual({ name: 'loop', self: '[dropped: a cycle]' });
    expect(fields['wrapped']).toEqual({ name: 'TypeError', message: 'an error in a field' });
    expect(fields['angry']).toMatch(/^\[dropped: reading angry threw Error: no reading me\]$/);
    // A field named like a member every error has stays out of the rebuilt error, which still prints.
    expect(fields['toString']).toBe('not a function');
    const remote = error.cause as Error;
    expect(Object.hasOwn(remote, 'toString')).toBe(false);
    expect(String(remote)).toBe('Error: exotic');
  });

  it('thrown non-errors arrive as NonError with their text', async () => {
    expect(await thrown(transport, () => 'just a string')).toMatchObject({
      remoteName: 'NonError',
      remoteMessage: 'just a string',
    });
    expect(await thrown(transport, () => ({ big: 1n }))).toMatchObject({
      remoteName: 'NonError',
      remoteMessage: '{"big":"1n"}',
    });
    expect(await thrown(transport, () => Symbol('thrown'))).toMatchObject({
      remoteName: 'NonError',
      remoteMessage: 'Symbol(thrown)',
    });
    expect(await thrown(transport, () => undefined)).toMatchObject({
      remoteName: 'NonError',
      remoteMessage: 'undefined',
    });
  });
});

describe('hostile errors are cut to size and never break the connection', () => {
  const transport = 'unix';

  it('a 10 MiB message: the message is cut, the stack keeps its head and its frames', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const error = await thrown(transport, () => new Error(huge));
    expect(error.remoteMessage.length).toBeLessThan(THROWN_LIMITS.textChars + 100);
    expect(error.remoteMessage).toMatch(/^x+… \[truncated: \d+ more characters\]$/);
    expect(error.remoteStack!.length).toBeLessThan(THROWN_LIMITS.stackChars + 200);
    expect(error.remoteStack).toContain('… [truncated:');
    expect(error.remoteStack).toContain('at throwsForTheTest');
  });

  it('a cause chain that loops back, a self-caused error, and a deep chain', async () => {
    const loop = await thrown(transport, () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      return a;
    });
    const b = (loop.cause as Error).cause as Error;
    expect(b.message).toBe('b');
    expect(b.cause).toBe('[dropped: a cycle: this error is its own cause]');

    const deep = await thrown(transport, () => {
      let error = new Error('level 1000');
      for (let level = 999; level >= 1; level--) error = new Error(`level ${level}`, { cause: error });
      return error;
    });
    let level = deep.cause as Error;
    let count = 1;
    while (level.cause instanceof Error) {
      level = level.cause;
      count++;
    }
    expect(count).toBe(THROWN_LIMITS.depth + 1);
    expect(level.cause).toBe(`[dropped: errors nested deeper than ${THROWN_LIMITS.depth} levels]`);
  });

  it('an AggregateError of 100 000 errors keeps the first ones and says how many went', async () => {
    const error = await thrown(
      transport,
      () =>
        new AggregateError(
          Array.from({ length: 100_000 }, (_, i) => new Error(`e${i}`)),
          'many',
        ),
    );
    const errors = (error.cause as AggregateError).errors;
    expect(errors).toHaveLength(THROWN_LIMITS.errorsPerAggregate + 1);
    expect((errors[0] as Error).message).toBe('e0');
    expect(errors.at(-1)).toBe(`[dropped: ${100_000 - THROWN_LIMITS.errorsPerAggregate} more errors]`);
  });

  it('getters that throw, on the parts of the error too', async () => {
    const error = await thrown(transport, () => {
      const e = new Error('base');
      // The stack first: redefining it formats it, which reads the name and the message.
      for (const key of ['stack', 'name', 'message', 'cause', 'code']) {
        Object.defineProperty(e, key, {
          get: () => {
            throw new Error(`no ${key}`);
          },
        });
      }
      return e;
    });
    expect(error.remoteName).toBe('Error');
    expect(error.remoteMessage).toBe('[dropped: reading message threw Error: no message]');
    expect(error.remoteStack).toBeUndefined();
    expect(error.remoteCode).toBeUndefined();
    expect((error.cause as Error).cause).toBe('[dropped: reading cause threw Error: no cause]');
  });

  it('proxies that refuse everything, and values without a usable toString', async () => {
    const { proxy, revoke } = Proxy.revocable(new Error('behind a proxy'), {});
    revoke();
    expect(await thrown(transport, () => proxy)).toMatchObject({ remoteName: 'NonError' });
    const refusing = new Proxy(new Error('refusing'), {
      get: () => {
        throw new Error('no get');
      },
      ownKeys: () => {
        throw new Error('no keys');
      },
    });
    const refused = await thrown(transport, () => refusing);
    expect(refused.remoteMessage).toBe('[dropped: reading message threw Error: no get]');
    expect(refused.remoteFields).toEqual({ '…': '[dropped: listing the fields threw Error: no keys]' });
    const noToString = Object.create(null) as Record<string, unknown>;
    noToString['self'] = noToString;
    expect(await thrown(transport, () => noToString)).toMatchObject({
      remoteName: 'NonError',
      remoteMessage: '(a object that cannot be shown)',
    });
  });

  it('fields past the limits: too many, too deep, too long, too big', async () => {
    const error = await thrown(transport, () => {
      const e = new Error('crowded') as Error & Record<string, unknown>;
      for (let i = 0; i < 100; i++) e[`f${i}`] = i;
      return e;
    });
    const fields = error.remoteFields;
    expect(Object.keys(fields)).toHaveLength(THROWN_LIMITS.fields + 1);
    expect(fields['…']).toBe(`[dropped: ${100 - THROWN_LIMITS.fields} more fields]`);

    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { down: deep };
    const long = 'y'.repeat(100_000);
    const shaped = await thrown(transport, () =>
      Object.assign(new Error('shaped'), {
        deep,
        long,
        list: Array.from({ length: 5000 }, (_, i) => i),
        blob: new Uint8Array(2 * 1024 * 1024),
      }),
    );
    const f = shaped.remoteFields as Record<string, unknown>;
    let walk = f['deep'] as Record<string, unknown>;
    for (let i = 1; i < THROWN_LIMITS.valueDepth; i++) walk = walk['down'] as Record<string, unknown>;
    expect(walk['down']).toBe(`[dropped: nested deeper than ${THROWN_LIMITS.valueDepth} levels]`);
    expect(f['long']).toMatch(/^y{16384}… \[truncated: 83616 more characters\]$/);
    expect(f['list']).toHaveLength(THROWN_LIMITS.arrayItems + 1);
    expect((f['list'] as unknown[]).at(-1)).toBe('[dropped: 4000 more items]');
    expect(f['blob']).toBe(`[dropped: ${2 * 1024 * 1024} bytes, over the error's size limit]`);
  });
});
