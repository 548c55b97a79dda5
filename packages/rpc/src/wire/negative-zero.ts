import { addExtension } from 'msgpackr/pack';

/**
 * The msgpack extension type that carries -0: `d4 2d 00` (fixext 1, type 45, one zero byte). msgpackr writes every
 * number with `value >>> 0 === value` as an integer, and -0 passes that test, so without this it arrives as 0 and
 * has no option to do otherwise. 45 (`-`) is in the range msgpackr leaves to applications (1–100) and is none of
 * the types it uses itself (0, 0x42 and 0x62 there; 0x65–0x78 and -1 above).
 */
export const NEGATIVE_ZERO_EXTENSION = 0x2d;

/** Stands for -0 in the copy that is packed; only its class matters to msgpackr. */
class NegativeZero {}
const negativeZero = new NegativeZero();
const PAYLOAD = Buffer.from([0]);

// Registered process-wide (msgpackr's extension table is global), which also makes every Unpackr in the process
// decode type 45 as -0; nothing else in Cohort uses the type.
addExtension({ Class: NegativeZero, type: NEGATIVE_ZERO_EXTENSION, pack: () => PAYLOAD, unpack: () => -0 });

/**
 * Deeper than msgpackr itself can pack with Node's default stack (about 1300 levels): stopping here loses nothing
 * it could have encoded, and a cyclic value (which msgpackr refuses anyway) ends the search instead of recursing
 * forever, or exponentially often when the cycle branches.
 */
const MAX_DEPTH = 2048;

/** Thrown to abandon a search that went past {@link MAX_DEPTH}; the value is then packed as it is. */
const TOO_DEEP = Symbol('too deep');

/**
 * `value` as msgpackr should pack it so that every -0 in it survives: the value itself when it holds none (the
 * common case, found by a walk that allocates nothing), otherwise a copy in which each -0 is a `NegativeZero`.
 * Searched and copied: arrays, plain objects (prototype `Object.prototype` or null), `Map`s and `Set`s, the
 * containers msgpackr packs entry by entry. Not searched: typed arrays and Buffers (bytes, not numbers), class
 * instances (msgpackr may pack them through `toJSON` or a user's extension, which a copy would bypass), and
 * anything nested deeper than {@link MAX_DEPTH}.
 */
export function keepNegativeZeros(value: unknown): unknown {
  if (typeof value !== 'object') return Object.is(value, -0) ? negativeZero : value;
  if (value === null) return value;
  try {
    return holdsNegativeZero(value, 0) ? replaceIn(value, 0) : value;
  } catch (error) {
    if (error === TOO_DEEP) return value;
    throw error;
  }
}

// The loops test `typeof entry === 'object'` first and then `Object.is(entry, -0)`, which V8 compiles to a check of
// the raw number: an array of doubles is walked without boxing its elements. Checked with a benchmark; a helper
// called per entry was about twice as slow on number arrays.

function holdsNegativeZero(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  const next = depth + 1;
  if (Array.isArray(value)) {
    for (let i = 0, n = value.length; i < n; i++) {
      const entry: unknown = value[i];
      if (typeof entry === 'object') {
        if (entry !== null && holdsNegativeZero(entry, next)) return true;
      } else if (Object.is(entry, -0)) return true;
    }
    return false;
  }
  if (ArrayBuffer.isView(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const key in value) {
      const entry: unknown = (value as Record<string, unknown>)[key];
      if (typeof entry === 'object') {
        if (entry !== null && holdsNegativeZero(entry, next)) return true;
      } else if (Object.is(entry, -0)) return true;
    }
  } else if (proto === Map.prototype || proto === Set.prototype) {
    // A Map's keys and a Set's entries are never -0 (both store it as 0), but they can be containers holding one.
    const collection = value as Map<unknown, unknown> | Set<unknown>;
    for (const entry of collection.values()) if (holds(entry, next)) return true;
    if (proto === Map.prototype) for (const key of collection.keys()) if (holds(key, next)) return true;
  }
  return false;
}

function holds(entry: unknown, depth: number): boolean {
  return typeof entry === 'object' ? entry !== null && holdsNegativeZero(entry, depth) : Object.is(entry, -0);
}

/** `entry` with each -0 in it replaced; the same `entry` when it holds none. */
function replace(entry: unknown, depth: number): unknown {
  if (typeof entry === 'object') return entry === null ? entry : replaceIn(entry, depth);
  return Object.is(entry, -0) ? negativeZero : entry;
}

/** Copies only the containers that hold a -0; returns `value` itself when nothing in it changed. */
function replaceIn(value: object, depth: number): object {
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  const next = depth + 1;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0, n = value.length; i < n; i++) {
      const entry: unknown = value[i];
      let replaced: unknown;
      if (typeof entry === 'object') {
        if (entry === null) continue;
        replaced = replaceIn(entry, next);
        if (replaced === entry) continue;
      } else if (Object.is(entry, -0)) replaced = negativeZero;
      else continue;
      // A plain array whatever `value`'s class: msgpackr packs any array entry by entry.
      copy ??= value.constructor === Array ? value.slice() : Array.from(value);
      copy[i] = replaced;
    }
    return copy ?? value;
  }
  if (ArrayBuffer.isView(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    let changed = false;
    const copy: Record<string, unknown> = {};
    // Own keys in for-in order, as msgpackr writes them; `__proto__` defined, not assigned (that would set the
    // copy's prototype instead).
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const entry = record[key];
      const replaced = replace(entry, next);
      if (replaced !== entry) changed = true;
      if (key === '__proto__')
        Object.defineProperty(copy, key, { value: replaced, enumerable: true, writable: true, configurable: true });
      else copy[key] = replaced;
    }
    return changed ? copy : value;
  }
  if (proto === Map.prototype) {
    let changed = false;
    const copy = new Map<unknown, unknown>();
    for (const [key, entry] of value as Map<unknown, unknown>) {
      const newKey = replace(key, next);
      const newEntry = replace(entry, next);
      if (newKey !== key || newEntry !== entry) changed = true;
      copy.set(newKey, newEntry);
    }
    return changed ? copy : value;
  }
  if (proto === Set.prototype) {
    const entries = [...(value as Set<unknown>)];
    const replaced = replaceIn(entries, depth);
    return replaced === entries ? value : new Set(replaced as unknown[]);
  }
  return value;
}
