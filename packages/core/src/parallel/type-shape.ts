import { z } from 'zod';
import type { TypeShape } from '../process/bootstrap.js';
import type { AnyWorkerType } from './type-registry.js';

// A worker type as the spawner and the worker each see it: what must agree for the worker to serve what its spawner
// will call (rpc_parallel refuses a remote binary whose md5 differs; this compares only what the calls depend on).

// Read from zod's own definitions (`schema._zod.def`), not from `z.toJSONSchema`: the two sides only need the same
// deterministic text for the same schema, and a worker pays for this on every start, before it listens. Walking the
// definitions costs microseconds; JSON Schema generation cost a cold worker about 2 ms of loading and compiling.

// What a definition holds that is not part of which values a call accepts: error messages, and defaults or fallbacks,
// which may be computed afresh in each process (`.default(() => Date.now())`).
const IGNORED_KEYS = new Set(['error', 'description', 'defaultValue', 'catchValue']);

/** Deeper than any schema written by hand: only a lazy schema that builds itself afresh goes on for ever. */
const MAX_DEPTH = 512;

type SchemaLike = { _zod: { def: Record<string, unknown>; innerType?: unknown } };

const isSchemaLike = (value: object): value is SchemaLike =>
  '_zod' in value &&
  typeof (value as SchemaLike)._zod === 'object' &&
  typeof (value as SchemaLike)._zod?.def === 'object';

/**
 * A canonical text for what `schema` accepts: its kind and its definition, object keys sorted (`z.object({ a, b })`
 * and `z.object({ b, a })` accept the same values), a pipe or transform by its input side (what the caller sends),
 * code (a `refine` predicate, a transform) by its presence only. A schema that contains itself (a recursive one)
 * refers back to its ancestor by distance, so that the same schema built with shared parts or without gives the
 * same text.
 */
function describeSchema(root: z.ZodType): string {
  const ancestors: object[] = [];
  const describe = (value: unknown, key = ''): string => {
    switch (typeof value) {
      case 'function':
        return 'fn';
      case 'bigint':
        return `${value}n`;
      case 'number':
      case 'boolean':
      case 'undefined':
      case 'symbol':
        return String(value);
      case 'string':
        return JSON.stringify(value);
    }
    if (value === null) return 'null';
    const object = value as object;
    if (object instanceof RegExp) return String(object);
    if (object instanceof Date) return `date:${object.getTime()}`;
    const depth = ancestors.lastIndexOf(object);
    if (depth !== -1) return `^${ancestors.length - depth}`;
    // A lazy schema whose getter builds a new schema on each call never meets itself again: stop somewhere.
    if (ancestors.length >= MAX_DEPTH) return '...';
    ancestors.push(object);
    try {
      return describeObject(object, key);
    } finally {
      ancestors.pop();
    }
  };
  const describeObject = (object: object, key: string): string => {
    if (Array.isArray(object)) {
      const items = object.map((item) => describe(item));
      // A literal's values are a set: their order says nothing about what it accepts.
      return `[${(key === 'values' ? items.sort() : items).join(',')}]`;
    }
    if (isSchemaLike(object)) {
      const def = object._zod.def;
      if (def['type'] === 'pipe') {
        const input = def['in'] as SchemaLike;
        return describe(input._zod.def['type'] === 'transform' ? def['out'] : input);
      }
      if (def['type'] === 'lazy')
        return `lazy(${describe(object._zod.innerType ?? (def['getter'] as () => unknown)())})`;
      return describe(def);
    }
    const entries = Object.keys(object)
      .filter((name) => !IGNORED_KEYS.has(name))
      .sort()
      .map((name) => `${JSON.stringify(name)}:${describe((object as Record<string, unknown>)[name], name)}`);
    return `{${entries.join(',')}}`;
  };
  return describe(root);
}

function digest(schema: z.ZodType): string {
  return digestText(describeSchema(schema));
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
