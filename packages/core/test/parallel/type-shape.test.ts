// The digest behind the version-skew check, without processes: what counts as the same type and what does not.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AnyFunction } from '../../src/parallel/functions.js';
import type { AnyWorkerType } from '../../src/parallel/type-registry.js';
import { shapeDifferences, shapeOf } from '../../src/parallel/type-shape.js';

/** A worker type with one rpc `f` whose input is `input` (only what shapeOf reads is filled in). */
function typeWith(input: z.ZodType, output: z.ZodType = z.void()): AnyWorkerType {
  const fn = {
    kind: 'rpc',
    workerType: 'T',
    name: 'f',
    def: { kind: 'rpc', name: 'T/f', version: 0, input, output },
  } as unknown as AnyFunction;
  return {
    name: 'T',
    functions: { f: fn },
    workerInit: z.void(),
    connectionInit: z.void(),
    initWorkerState: () => undefined,
    initConnectionState: () => undefined,
  };
}

const differences = (a: z.ZodType, b: z.ZodType): string[] =>
  shapeDifferences(shapeOf(typeWith(a)), shapeOf(typeWith(b)));

describe('the shape of a worker type', () => {
  it('is the same for schemas that accept the same values: object keys, required and enum members in another order', () => {
    expect(differences(z.object({ a: z.string(), b: z.number() }), z.object({ b: z.number(), a: z.string() }))).toEqual(
      [],
    );
    expect(differences(z.enum(['x', 'y']), z.enum(['y', 'x']))).toEqual([]);
    expect(
      differences(
        z.string().transform((s) => s.length),
        z.string(),
      ),
    ).toEqual([]);
  });

  it('differs for a changed field type, an added field, an optional value, or kinds JSON Schema cannot express', () => {
    const input = ['function "f": its input schema differs'];
    expect(differences(z.object({ a: z.string() }), z.object({ a: z.number() }))).toEqual(input);
    expect(differences(z.object({ a: z.string() }), z.object({ a: z.string(), b: z.string() }))).toEqual(input);
    expect(differences(z.object({ a: z.string() }), z.object({ a: z.string().optional() }))).toEqual(input);
    expect(differences(z.string(), z.string().optional())).toEqual(input);
    expect(differences(z.instanceof(Uint8Array), z.date())).toEqual(input);
    expect(differences(z.bigint(), z.unknown())).toEqual(input);
  });

  it('ignores what changes nothing a call accepts: sharing, descriptions, error messages, computed defaults', () => {
    const name = z.string().min(1);
    expect(
      differences(z.object({ a: name, b: name }), z.object({ a: z.string().min(1), b: z.string().min(1) })),
    ).toEqual([]);
    expect(differences(z.string().describe('a user name'), z.string())).toEqual([]);
    expect(differences(z.string().min(1, 'must not be empty'), z.string().min(1))).toEqual([]);
    let clock = 0;
    const stamp = () => z.number().default(() => ++clock);
    expect(differences(stamp(), stamp())).toEqual([]);
  });

  it('tells apart checks, literals and recursive schemas, and ends on a lazy schema that builds itself afresh', () => {
    const input = ['function "f": its input schema differs'];
    expect(differences(z.string().min(1), z.string().min(2))).toEqual(input);
    expect(differences(z.number().int(), z.number())).toEqual(input);
    expect(differences(z.literal(['a', 'b']), z.literal(['b', 'a']))).toEqual([]);
    expect(differences(z.literal('a'), z.literal('b'))).toEqual(input);

    type Tree = { label: string; children: Tree[] };
    const tree = (label: z.ZodType): z.ZodType<Tree> => {
      const node: z.ZodType<Tree> = z.lazy(() => z.object({ label, children: z.array(node) })) as z.ZodType<Tree>;
      return node;
    };
    expect(differences(tree(z.string()), tree(z.string()))).toEqual([]);
    expect(differences(tree(z.string()), tree(z.number()))).toEqual(input);
    const category = z.object({
      name: z.string(),
      get parent() {
        return category.optional();
      },
    });
    expect(differences(category, category)).toEqual([]);

    const fresh = (): z.ZodType => z.lazy(() => z.object({ next: fresh() }));
    expect(differences(fresh(), fresh())).toEqual([]);
  });

  it('names every schema that differs', () => {
    const a = shapeOf(typeWith(z.string(), z.string()));
    const b = shapeOf(typeWith(z.number(), z.number()));
    expect(shapeDifferences(a, b)).toEqual(['function "f": its input and output schemas differ']);
  });
});
