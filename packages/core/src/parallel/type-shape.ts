import { z } from 'zod';
import type { TypeShape } from '../process/bootstrap.js';
import type { AnyWorkerType } from './type-registry.js';

// A worker type as the spawner and the worker each see it: what must agree for the worker to serve what its spawner
// will call (rpc_parallel refuses a remote binary whose md5 differs; this compares only what the calls depend on).

// Kinds JSON Schema cannot express, or drops outside an object (optional), are marked with their zod kind: without
// it z.instanceof(Uint8Array) and z.date() would both read as "anything", and an rpc's output turning optional unseen.
const TAGGED_KINDS = new Set([
  'optional',
  'bigint',
  'symbol',
  'undefined',
  'void',
  'date',
  'map',
  'set',
  'nan',
  'custom',
  'function',
  'promise',
  'transform',
]);
const jsonSchemaOptions: Parameters<typeof z.toJSONSchema>[1] = {
  unrepresentable: 'any',
  io: 'input',
  override: (context) => {
    const kind = context.zodSchema._zod.def.type;
    if (TAGGED_KINDS.has(kind)) context.jsonSchema['x-zod'] = kind;
  },
};

// JSON Schema keywords whose arrays are sets: their order says nothing about the values.
const SETS = new Set(['required', 'enum']);

/**
 * JSON with object keys, and the members of set-like arrays, sorted: `z.object({ a, b })` and `z.object({ b, a })`
 * describe the same values.
 */
function stableJson(value: unknown, isSet = false): string {
  if (Array.isArray(value)) {
    const items = value.map((item) => stableJson(item));
    return `[${(isSet ? items.sort() : items).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item, SETS.has(key))}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function digest(schema: z.ZodType): string {
  let description: string;
  try {
    description = stableJson(z.toJSONSchema(schema, jsonSchemaOptions));
  } catch {
    // A schema JSON Schema refuses even so (a cycle it cannot name): its kind is what both sides can still compare.
    description = `zod:${schema._zod.def.type}`;
  }
  return digestText(description);
}

/**
 * 64 bits of a description: two 32-bit multiply-xorshift lanes over its UTF-16 code units, mixed at the end (the
 * cyrb53 construction). Not a cryptographic hash, nor need it be: it catches a mistake (a program deployed
 * differently on two sides), not an adversary, who would need the app's secret to connect at all. A worker checks
 * its shape before it listens, and `node:crypto` would cost it OpenSSL's start (about 8 ms) there.
 */
function digestText(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return hex(h2) + hex(h1);
}

const shapes = new WeakMap<AnyWorkerType, TypeShape>();

/** The shape of `type`, computed once per process (the first spawn, or a worker's check, pays for it). */
export function shapeOf(type: AnyWorkerType): TypeShape {
  let shape = shapes.get(type);
  if (shape === undefined) {
    const functions: TypeShape['functions'] = {};
    for (const [key, fn] of Object.entries(type.functions)) {
      const schemas: Record<string, string> = {};
      for (const [role, value] of Object.entries(fn.def)) {
        if (value instanceof z.ZodType) schemas[role] = digest(value);
      }
      functions[key] = { kind: fn.kind, version: fn.def.version, schemas };
    }
    shape = { functions, init: { workerInit: digest(type.workerInit), connectionInit: digest(type.connectionInit) } };
    shapes.set(type, shape);
  }
  return shape;
}

/**
 * How the worker's type (`actual`) differs from its spawner's (`expected`), one line per difference, or `[]` when
 * they agree. Each line names the function (or init schema) and how: missing, extra, kind, version, or which schema.
 */
export function shapeDifferences(expected: TypeShape, actual: TypeShape): string[] {
  const lines: string[] = [];
  for (const [key, want] of Object.entries(expected.functions)) {
    const have = actual.functions[key];
    if (have === undefined) {
      lines.push(`function "${key}" is missing in the worker`);
    } else if (have.kind !== want.kind) {
      lines.push(`function "${key}" is f.${want.kind} in the spawner but f.${have.kind} in the worker`);
    } else if (have.version !== want.version) {
      lines.push(`function "${key}" has version ${want.version} in the spawner but ${have.version} in the worker`);
    } else {
      const roles = [...new Set([...Object.keys(want.schemas), ...Object.keys(have.schemas)])].filter(
        (role) => want.schemas[role] !== have.schemas[role],
      );
      if (roles.length > 0)
        lines.push(`function "${key}": its ${roles.join(' and ')} schema${roles.length > 1 ? 's differ' : ' differs'}`);
    }
  }
  for (const key of Object.keys(actual.functions)) {
    if (!Object.hasOwn(expected.functions, key)) lines.push(`function "${key}" is in the worker only`);
  }
  for (const [which, want] of Object.entries(expected.init)) {
    if (actual.init[which] !== want) lines.push(`its ${which} schema differs`);
  }
  return lines;
}
