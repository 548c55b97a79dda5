// -0 survives the wire: the codec on its own (exact bytes, a property test over JSON-like values, what it does not
// search, cycles) and every way a value comes back over a real connection.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RemoteError, Rpc } from '../src/index.js';
import { decodePayload, encodeFrame, FRAME_HEADER_BYTES } from '../src/wire/codec.js';
import { keepNegativeZeros, NEGATIVE_ZERO_EXTENSION } from '../src/wire/negative-zero.js';
import { transports, useHarness } from './helpers.js';

const h = useHarness();
const MAX = 64 * 1024 * 1024;

const roundTrip = (value: unknown): unknown => decodePayload(encodeFrame(value, MAX).subarray(FRAME_HEADER_BYTES));
const payload = (value: unknown): number[] => [...encodeFrame(value, MAX).subarray(FRAME_HEADER_BYTES)];

/** Where `actual` differs from `expected`, numbers compared with `Object.is`; undefined when they agree. */
function difference(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (typeof expected === 'number') {
    return typeof actual === 'number' && Object.is(expected, actual)
      ? undefined
      : `${path}: ${String(actual)} instead of ${String(expected)}`;
  }
  if (expected instanceof Uint8Array) {
    const same = actual instanceof Uint8Array && Buffer.from(actual).equals(Buffer.from(expected));
    return same ? undefined : `${path}: bytes differ`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${path}: not an array of ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const found = difference(expected[i], actual[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `${path}: not an object`;
    const keys = Object.keys(expected);
    if (Object.keys(actual).length !== keys.length)
      return `${path}: keys ${Object.keys(actual).join()} instead of ${keys.join()}`;
    for (const key of keys) {
      if (!Object.hasOwn(actual, key)) return `${path}.${key}: missing`;
      const found = difference(
        (expected as Record<string, unknown>)[key],
        (actual as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${path}: ${String(actual)} instead of ${String(expected)}`;
}

const specialNumbers = fc.constantFrom(
  -0,
  0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
);
const jsonLike = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
  leaf: fc.oneof(
    specialNumbers,
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.uint8Array({ maxLength: 16 }),
    fc.boolean(),
    fc.constant(null),
  ),
  array: fc.array(tie('value'), { maxLength: 6 }),
  // msgpackr's decoder renames a `__proto__` key, -0 or not.
  object: fc.dictionary(
    fc.string({ maxLength: 9 }).filter((key) => key !== '__proto__'),
    tie('value'),
    { maxKeys: 6 },
  ),
}));

describe('-0 in the codec', () => {
  it('travels as a 3-byte extension of type 45, and decodes as -0', () => {
    expect(payload(-0)).toEqual([0xd4, NEGATIVE_ZERO_EXTENSION, 0]);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(payload([4, 1, -0])).toEqual([0x93, 4, 1, 0xd4, 0x2d, 0]);
    // Without it, msgpackr writes the integer 0 (which is why the extension exists).
    expect([...new Packr({ useRecords: false }).pack(-0)]).toEqual([0]);
  });

  it('round-trips any JSON-like value with Object.is on every number (property)', () => {
    fc.assert(
      fc.property(jsonLike.value, (value) => {
        expect(difference(value, roundTrip(value))).toBeUndefined();
        // Inside a message too: the walk starts at the message array.
        expect(difference(value, (roundTrip([4, 7, value]) as unknown[])[2])).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('leaves values without -0 alone: the same object is packed, to the same bytes as plain msgpackr', () => {
    const reference = new Packr({ useRecords: false, useBigIntExtension: true });
    const values: unknown[] = [
      [3, 1, 'add', 0, [1, 2]],
      { a: [0, 1.5, Number.NaN], b: 'x' },
      0,
      Buffer.from([1, 2]),
      new Map([['k', 1]]),
    ];
    for (const value of values) {
      expect(keepNegativeZeros(value)).toBe(value);
      expect(payload(value)).toEqual([...reference.pack(value)]);
    }
  });

  it('copies only what holds a -0, and leaves the caller’s value untouched', () => {
    const shared = { big: [1, 2, 3] };
    const value = { shared, hit: [1, -0], deep: { list: [{ x: -0 }] } };
    const copy = keepNegativeZeros(value) as typeof value;
    expect(copy).not.toBe(value);
    expect(copy.shared).toBe(shared);
    expect(Object.is(value.hit[1], -0)).toBe(true);
    expect(Object.is(value.deep.list[0]?.x, -0)).toBe(true);
    expect(difference(value, roundTrip(value))).toBeUndefined();
  });

  it('keeps -0 in Map values, Sets of containers, null-prototype objects and a `__proto__` key', () => {
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { z: -0 });
    const protoKey = JSON.parse('{"__proto__": [-0], "a": 1}') as Record<string, unknown>;
    const decoded = roundTrip([new Map([['m', -0]]), new Set([[-0]]), nullProto, protoKey]) as unknown[];
    expect(Object.is((decoded[0] as Record<string, unknown>)['m'], -0)).toBe(true);
    expect(Object.is((decoded[1] as number[][])[0]?.[0], -0)).toBe(true);
    expect(Object.is((decoded[2] as Record<string, unknown>)['z'], -0)).toBe(true);
    // The copy kept `__proto__` as a key (msgpackr's decoder renames it `__proto_`, so it cannot set a prototype).
    const decodedProtoKey = decoded[3] as Record<string, unknown>;
    expect(Object.keys(decodedProtoKey)).toEqual(['__proto_', 'a']);
    expect(Object.is((decodedProtoKey['__proto_'] as number[])[0], -0)).toBe(true);
  });

  it('leaves bytes alone: typed arrays and Buffers are not searched (their bytes already carry the sign)', () => {
    const floats = new Float64Array([-0, 1]);
    const value = [floats, Buffer.from(floats.buffer)];
    expect(keepNegativeZeros(value)).toBe(value);
    const decoded = roundTrip(value) as Uint8Array[];
    expect(Object.is(new Float64Array(Uint8Array.from(decoded[0] ?? []).buffer)[0], -0)).toBe(true);
  });

  it('a cyclic value (even one whose cycle branches) fails to encode with a TypeError, at once', () => {
    const cycle: unknown[] = [-0];
    cycle.push(cycle);
    const branching: Record<string, unknown> = { n: -0 };
    branching['left'] = branching;
    branching['right'] = branching;
    const started = performance.now();
    for (const value of [cycle, branching, [1, branching]]) expect(() => encodeFrame(value, MAX)).toThrow(TypeError);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a -0 a hundred levels deep survives', () => {
    let value: unknown = -0;
    for (let i = 0; i < 100; i++) value = i % 2 === 0 ? [value] : { v: value };
    expect(difference(value, roundTrip(value))).toBeUndefined();
  });
});

describe.each(transports)('-0 over a real connection (%s)', (transport) => {
  it('arrives as -0 from an rpc, a pipe, a state and its updates, an error’s data, and as an input', async () => {
    const zero = Rpc.rpc({
      name: 'zero',
      input: z.number(),
      output: z.object({ same: z.number(), negated: z.number() }),
    });
    const zeros = Rpc.pipe({ name: 'zeros', input: z.void(), item: z.number() });
    const level = Rpc.state({ name: 'level', input: z.void(), state: z.number(), update: z.array(z.number()) });
    const fails = Rpc.rpc({ name: 'fails', input: z.void(), output: z.void() });
    const { client } = await h.pair(transport, {
      server: {
        implementations: [
          Rpc.implement(zero, (n) => ({ same: n, negated: -n })),
          Rpc.implement(zeros, function* () {
            yield -0;
            yield 0;
            yield -0;
          }),
          Rpc.implement(level, () => ({ state: -0, updates: [[1, -0], [-0]] })),
          Rpc.implement(fails, () => {
            throw Object.assign(new Error('with data'), { data: { offset: -0 } });
          }),
        ],
      },
    });
    const answer = await client.dispatch(zero, -0);
    expect(Object.is(answer.same, -0)).toBe(true); // -0 reached the server as -0 and came back
    expect(Object.is(answer.negated, 0)).toBe(true);
    expect(Object.is((await client.dispatch(zero, 0)).negated, -0)).toBe(true);

    const items: number[] = [];
    for await (const item of await client.dispatch(zeros, undefined)) items.push(item);
    expect(items.map((n) => Object.is(n, -0))).toEqual([true, false, true]);

    const { state, updates } = await client.dispatch(level, undefined);
    expect(Object.is(state, -0)).toBe(true);
    const seen: number[][] = [];
    for await (const update of updates) seen.push(update);
    expect(difference([[1, -0], [-0]], seen)).toBeUndefined();

    const error = await client.dispatch(fails, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(Object.is(((error as RemoteError).data as { offset: number }).offset, -0)).toBe(true);
  });
});
