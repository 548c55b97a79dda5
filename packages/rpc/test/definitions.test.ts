// RPC descriptions are checked when they are made: a program without types (plain JS, or TypeScript run unchecked)
// learns of a misspelt key there, not from a TypeError inside the first call on the serving side.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc } from '../src/index.js';

describe('RPC descriptions', () => {
  it('each kind takes its schemas and keeps them, version 0 by default', () => {
    const item = z.number();
    const def = Rpc.pipe({ name: 'count', input: z.void(), item });
    expect(def).toMatchObject({ kind: 'pipe', name: 'count', version: 0, item });
    expect(Object.isFrozen(def)).toBe(true);
    expect(Rpc.reversePipe({ name: 'sum', version: 2, input: z.void(), item, output: item }).version).toBe(2);
  });

  it('a missing schema is a TypeError naming the RPC, its kind and the key', () => {
    expect(() => Rpc.state({ name: 'watch', input: z.void(), state: z.number() } as never)).toThrow(
      'RPC "watch" (state) needs a zod schema `update`, got none',
    );
    expect(() => Rpc.rpc({ name: 'add', input: z.number(), output: 'number' } as never)).toThrow(
      'RPC "add" (rpc) needs a zod schema `output`, got string',
    );
  });

  it('a key the kind does not take is a TypeError listing the ones it does', () => {
    expect(() => Rpc.pipe({ name: 'count', input: z.void(), item: z.number(), output: z.number() } as never)).toThrow(
      'RPC "count" (pipe) takes `input`, `item`, not `output`',
    );
  });

  it('names and versions are checked', () => {
    expect(() => Rpc.oneWay({ name: '', input: z.void() })).toThrow(/non-empty string `name`/);
    expect(() => Rpc.oneWay({ name: 'log', version: -1, input: z.void() })).toThrow(/non-negative integer, got -1/);
    expect(() => Rpc.oneWay({ name: 'log', version: 1.5, input: z.void() })).toThrow(/non-negative integer, got 1.5/);
  });
});
