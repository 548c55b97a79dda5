import type { z } from 'zod';

interface Named {
  /** Unique per server; together with `version` it is what the peer's menu lists. */
  readonly name: string;
  /** Lets one server offer two incompatible shapes of the same RPC side by side. @default 0 */
  readonly version: number;
}

/** Request/response: one input, one output. */
export interface RpcDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> extends Named {
  readonly kind: 'rpc';
  readonly input: I;
  readonly output: O;
}

/** Server → client stream of items, with per-stream flow control. */
export interface PipeDef<I extends z.ZodType = z.ZodType, T extends z.ZodType = z.ZodType> extends Named {
  readonly kind: 'pipe';
  readonly input: I;
  readonly item: T;
}

/** An initial state followed by a stream of updates to it. */
export interface StateDef<
  I extends z.ZodType = z.ZodType,
  S extends z.ZodType = z.ZodType,
  U extends z.ZodType = z.ZodType,
> extends Named {
  readonly kind: 'state';
  readonly input: I;
  readonly state: S;
  readonly update: U;
}

/** Fire and forget: resolves once the message is written, no response. */
export interface OneWayDef<I extends z.ZodType = z.ZodType> extends Named {
  readonly kind: 'oneWay';
  readonly input: I;
}

/** Client → server stream of items, answered by one output. */
export interface ReversePipeDef<
  I extends z.ZodType = z.ZodType,
  T extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
> extends Named {
  readonly kind: 'reversePipe';
  readonly input: I;
  readonly item: T;
  readonly output: O;
}

/** Any RPC description. */
export type AnyRpcDef = RpcDef | PipeDef | StateDef | OneWayDef | ReversePipeDef;
export type RpcKind = AnyRpcDef['kind'];

/** What `Rpc.rpc` and friends take: the description without its `kind`, `version` optional. */
export type RpcSpec<D> = Omit<D, 'kind' | 'version'> & { version?: number };

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('an RPC description needs a non-empty string `name`');
}

function checkVersion(version: unknown): number {
  if (version === undefined) return 0;
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw new TypeError(`RPC version must be a non-negative integer, got ${String(version)}`);
  }
  return version as number;
}

/** The schemas each kind takes. Checked at definition time: without types (plain JS, tsx), a misspelt key would
 * otherwise surface as a TypeError inside the first call, on the serving side. */
const SCHEMA_KEYS: Readonly<Record<RpcKind, readonly string[]>> = {
  rpc: ['input', 'output'],
  pipe: ['input', 'item'],
  state: ['input', 'state', 'update'],
  oneWay: ['input'],
  reversePipe: ['input', 'item', 'output'],
};

function isSchema(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

function checkSchemas(kind: RpcKind, spec: Record<string, unknown>): void {
  const wanted = SCHEMA_KEYS[kind];
  for (const key of wanted) {
    if (!isSchema(spec[key])) {
      throw new TypeError(
        `RPC "${String(spec.name)}" (${kind}) needs a zod schema \`${key}\`, got ${spec[key] === undefined ? 'none' : typeof spec[key]}`,
      );
    }
  }
  for (const key of Object.keys(spec)) {
    if (key !== 'name' && key !== 'version' && !wanted.includes(key)) {
      throw new TypeError(
        `RPC "${String(spec.name)}" (${kind}) takes ${wanted.map((k) => `\`${k}\``).join(', ')}, not \`${key}\``,
      );
    }
  }
}

function describe<D extends AnyRpcDef>(kind: D['kind'], spec: RpcSpec<D>): D {
  checkName(spec.name);
  checkSchemas(kind, spec as Record<string, unknown>);
  return Object.freeze({ ...spec, kind, version: checkVersion(spec.version) }) as unknown as D;
}

export const rpc = <I extends z.ZodType, O extends z.ZodType>(spec: RpcSpec<RpcDef<I, O>>): RpcDef<I, O> =>
  describe<RpcDef<I, O>>('rpc', spec);
export const pipe = <I extends z.ZodType, T extends z.ZodType>(spec: RpcSpec<PipeDef<I, T>>): PipeDef<I, T> =>
  describe<PipeDef<I, T>>('pipe', spec);
export const state = <I extends z.ZodType, S extends z.ZodType, U extends z.ZodType>(
  spec: RpcSpec<StateDef<I, S, U>>,
): StateDef<I, S, U> => describe<StateDef<I, S, U>>('state', spec);
export const oneWay = <I extends z.ZodType>(spec: RpcSpec<OneWayDef<I>>): OneWayDef<I> =>
  describe<OneWayDef<I>>('oneWay', spec);
export const reversePipe = <I extends z.ZodType, T extends z.ZodType, O extends z.ZodType>(
  spec: RpcSpec<ReversePipeDef<I, T, O>>,
): ReversePipeDef<I, T, O> => describe<ReversePipeDef<I, T, O>>('reversePipe', spec);

/** The key a description is known by in menus and implementation tables. */
export const menuKey = (name: string, version: number): string => `${name}@${version}`;

const keys = new WeakMap<AnyRpcDef, string>();

/**
 * `menuKey` of a description, made once: a fresh string per call would be concatenated, then hashed by the menu's
 * lookup, on every call.
 */
export function menuKeyOf(def: AnyRpcDef): string {
  let key = keys.get(def);
  if (key === undefined) {
    key = menuKey(def.name, def.version);
    keys.set(def, key);
  }
  return key;
}
