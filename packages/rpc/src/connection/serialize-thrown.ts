import { describeThrown } from '../describe.js';
import type { WireRemoteError, WireThrown } from '../wire/messages.js';

// Not a static import of `node:util`: building its module namespace loads streams and worker threads, about 5 ms of
// every worker's start.
const { isNativeError } = process.getBuiltinModule('node:util').types;

/**
 * How much of a thrown error crosses the wire. An implementation may throw anything: an error whose message is
 * 10 MiB, whose cause chain is a cycle, whose getters throw, whose fields hold sockets or functions. What is sent is
 * always plain data, bounded by these limits; what is cut or dropped is marked where it was. The README's Errors
 * section documents them.
 */
export const THROWN_LIMITS = {
  /** Characters of a message, a name, or a string inside a field (the rest is cut, with a marker). */
  textChars: 16_384,
  /** Characters of a stack: its head (the message) and its tail (the outermost frames) are kept. */
  stackChars: 65_536,
  /** Errors nested inside one another through `cause` and `errors`. */
  depth: 16,
  /** Entries of one `errors` array. */
  errorsPerAggregate: 100,
  /** Errors in all, the thrown one included. */
  errors: 256,
  /** Fields of one error, and keys of one object inside a field. */
  fields: 64,
  /** Levels of objects and arrays inside a field. */
  valueDepth: 8,
  /** Items of one array inside a field. */
  arrayItems: 1000,
  /** Approximate bytes of everything (texts, binary, values): past it, what remains is dropped with a marker. */
  bytes: 1024 * 1024,
} as const;

/** Own properties an error's parts are read from, never sent again as fields. */
const PARTS = new Set(['name', 'message', 'stack', 'code', 'data', 'cause', 'errors']);

const SCALAR_BYTES = 16;

/** Marks what was dropped, in the place it was: the receiver sees why instead of a hole. */
const dropped = (why: string): string => `[dropped: ${why}]`;

// A failed read has no value, so that code needing only a value of some type can test `value` alone.
type Read =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly value: undefined; readonly why: string };

/** A property read that cannot throw: a getter may throw, a proxy may refuse. */
function read(target: object, key: string): Read {
  try {
    return { ok: true, value: (target as Record<string, unknown>)[key] };
  } catch (error) {
    return { ok: false, value: undefined, why: `reading ${key} threw ${cut(describeThrown(error), 200)}` };
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error || isNativeError(value);
  } catch {
    return false;
  }
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [truncated: ${text.length - max} more characters]`;
}

/** A long stack keeps its head (the message) and its tail (where the call came from); the middle goes. */
function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n    … [truncated: ${text.length - 2 * half} characters] …\n${text.slice(text.length - half)}`;
}

/** One serialization: the budgets it spends and the errors on the current chain (a cause that loops back). */
class ThrownSerializer {
  private bytes: number = THROWN_LIMITS.bytes;
  private errorsLeft: number = THROWN_LIMITS.errors;
  private readonly chain = new Set<object>();

  /** The thrown error itself: its name and message are required on the wire. */
  error(error: Error, depth = 0): WireRemoteError {
    this.errorsLeft--;
    this.chain.add(error);
    try {
      return this.parts(error, depth);
    } finally {
      this.chain.delete(error);
    }
  }

  private parts(error: Error, depth: number): WireRemoteError {
    const name = read(error, 'name');
    const message = read(error, 'message');
    const wire: WireRemoteError = {
      type: 'remote',
      name: typeof name.value === 'string' && name.value !== '' ? this.charge(cut(name.value, 200)) : 'Error',
      message: !message.ok
        ? dropped(message.why)
        : typeof message.value === 'string'
          ? this.text(message.value)
          : this.text(describeThrown(message.value)),
    };
    const stack = read(error, 'stack');
    if (typeof stack.value === 'string') wire.stack = this.charge(cutMiddle(stack.value, THROWN_LIMITS.stackChars));
    const code = read(error, 'code');
    const codeCarried =
      typeof code.value === 'string' || (typeof code.value === 'number' && Number.isFinite(code.value));
    if (codeCarried) wire.code = typeof code.value === 'string' ? this.text(code.value) : (code.value as number);
    // Parts whose getter throws are left out, as a part that is missing is: only the message and a cause say why.
    const data = read(error, 'data');
    if (data.value !== undefined) wire.data = this.value(data.value, 0, new Set());
    const fields = this.fields(error, codeCarried);
    if (fields !== undefined) wire.fields = fields;
    if (hasCause(error)) wire.cause = this.nested(read(error, 'cause'), depth + 1);
    const errors = read(error, 'errors');
    if (Array.isArray(errors.value)) wire.errors = this.errors(errors.value, depth + 1);
    return wire;
  }

  /** The error's own enumerable properties other than its parts, each made plain data or a marker. */
  private fields(error: Error, codeCarried: boolean): Record<string, unknown> | undefined {
    let keys: string[];
    try {
      keys = Object.keys(error);
    } catch (thrown) {
      return { '…': dropped(`listing the fields threw ${cut(describeThrown(thrown), 200)}`) };
    }
    const fields: Record<string, unknown> = {};
    let count = 0;
    for (const key of keys) {
      if (PARTS.has(key) && (key !== 'code' || codeCarried)) continue;
      if (count === THROWN_LIMITS.fields) {
        fields['…'] = dropped(`${keys.length - count} more fields`);
        break;
      }
      const field = read(error, key);
      defineField(fields, cut(key, 200), field.ok ? this.value(field.value, 0, new Set()) : dropped(field.why));
      count++;
    }
    return count === 0 && !('…' in fields) ? undefined : fields;
  }

  /** A cause or an `errors` entry: an error of its own, or a value as it is (made plain). */
  private nested(thrown: Read, depth: number): WireThrown {
    if (!thrown.ok) return { type: 'value', value: dropped(thrown.why) };
    const value = thrown.value;
    if (!isError(value)) return { type: 'value', value: this.value(value, 0, new Set()) };
    if (this.chain.has(value)) return { type: 'value', value: dropped('a cycle: this error is its own cause') };
    if (depth > THROWN_LIMITS.depth)
      return { type: 'value', value: dropped(`errors nested deeper than ${THROWN_LIMITS.depth} levels`) };
    if (this.errorsLeft <= 0 || this.bytes <= 0)
      return { type: 'value', value: dropped(`${describeThrown(value).slice(0, 200)}, over the error's size limits`) };
    return this.error(value, depth);
  }

  private errors(entries: unknown[], depth: number): WireThrown[] {
    const max = THROWN_LIMITS.errorsPerAggregate;
    const wire: WireThrown[] = [];
    for (let i = 0; i < Math.min(entries.length, max); i++) wire.push(this.nested(read(entries, String(i)), depth));
    if (entries.length > max) wire.push({ type: 'value', value: dropped(`${entries.length - max} more errors`) });
    return wire;
  }

  /**
   * A value as plain data that survives the wire codec: scalars, strings, bytes, dates, arrays and plain objects.
   * Anything else (a function, a symbol, a class instance, a cycle, a value past a limit) becomes a marker string.
   */
  private value(value: unknown, depth: number, seen: Set<object>): unknown {
    try {
      return this.plain(value, depth, seen);
    } catch (thrown) {
      return dropped(`reading it threw ${cut(describeThrown(thrown), 200)}`);
    }
  }

  private plain(value: unknown, depth: number, seen: Set<object>): unknown {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'undefined':
        this.bytes -= SCALAR_BYTES;
        return value;
      case 'symbol':
        return dropped(cut(value.toString(), 200));
      case 'function':
        return dropped(
          `a function${typeof value.name === 'string' && value.name !== '' ? ` (${cut(value.name, 200)})` : ''}`,
        );
    }
    if (value === null) return null;
    const object = value as object;
    if (this.bytes <= 0) return dropped("over the error's size limit");
    if (seen.has(object)) return dropped('a cycle');
    if (depth >= THROWN_LIMITS.valueDepth) return dropped(`nested deeper than ${THROWN_LIMITS.valueDepth} levels`);
    if (object instanceof Uint8Array) {
      if (object.byteLength > this.bytes) return dropped(`${object.byteLength} bytes, over the error's size limit`);
      this.bytes -= object.byteLength;
      return object;
    }
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? dropped('an invalid Date') : object;
    if (isError(object)) return this.value(errorSummary(object), depth, seen);
    seen.add(object);
    try {
      if (Array.isArray(object)) return this.array(object, depth, seen);
      const proto: unknown = Object.getPrototypeOf(object);
      if (proto === Object.prototype || proto === null)
        return this.object(object as Record<string, unknown>, depth, seen);
      return dropped(`an instance of ${constructorName(proto)}`);
    } finally {
      seen.delete(object);
    }
  }

  private array(array: unknown[], depth: number, seen: Set<object>): unknown[] {
    const max = THROWN_LIMITS.arrayItems;
    const out: unknown[] = [];
    this.bytes -= SCALAR_BYTES;
    for (let i = 0; i < Math.min(array.length, max); i++) out.push(this.value(array[i], depth + 1, seen));
    if (array.length > max) out.push(dropped(`${array.length - max} more items`));
    return out;
  }

  private object(object: Record<string, unknown>, depth: number, seen: Set<object>): Record<string, unknown> {
    const keys = Object.keys(object);
    const out: Record<string, unknown> = {};
    this.bytes -= SCALAR_BYTES;
    for (let i = 0; i < Math.min(keys.length, THROWN_LIMITS.fields); i++) {
      const key = keys[i]!;
      const entry = read(object, key);
      this.bytes -= key.length;
      defineField(out, cut(key, 200), entry.ok ? this.value(entry.value, depth + 1, seen) : dropped(entry.why));
    }
    if (keys.length > THROWN_LIMITS.fields) out['…'] = dropped(`${keys.length - THROWN_LIMITS.fields} more keys`);
    return out;
  }

  private text(text: string): string {
    return this.charge(cut(text, this.bytes > 0 ? Math.min(THROWN_LIMITS.textChars, this.bytes) : 0));
  }

  private charge(text: string): string {
    this.bytes -= text.length;
    return text;
  }
}

/** `'cause' in error`, which a proxy may refuse: then there is no cause to send. */
function hasCause(error: Error): boolean {
  try {
    return 'cause' in error;
  } catch {
    return false;
  }
}

/** An error found inside a field (not in a cause chain): its name, message and code, as plain data. */
function errorSummary(error: Error): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const key of ['name', 'message', 'code']) {
    const part = read(error, key);
    if (part.ok && part.value !== undefined) summary[key] = part.value;
  }
  return summary;
}

function constructorName(proto: unknown): string {
  const ctor = read(proto as object, 'constructor');
  const name = ctor.ok && typeof ctor.value === 'function' ? read(ctor.value, 'name') : undefined;
  return typeof name?.value === 'string' && name.value !== '' ? cut(name.value, 200) : 'a class';
}

/** Sets a key as an own property even when it is `__proto__`, without calling any setter. */
function defineField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * What an implementation threw, as a `remote` wire error: an `Error` with its parts, fields, cause chain and
 * `errors`; anything else as a `NonError` holding its text. Never throws.
 */
export function serializeThrown(thrown: unknown): WireRemoteError {
  try {
    if (isError(thrown)) return new ThrownSerializer().error(thrown);
  } catch (error) {
    // A bug here must not cost the caller its answer: it still learns that the call failed, and why this did.
    return {
      type: 'remote',
      name: 'Error',
      message: `the thrown error could not be read: ${cut(describeThrown(error), 1000)}`,
    };
  }
  return { type: 'remote', name: 'NonError', message: cut(describeThrown(thrown), THROWN_LIMITS.textChars) };
}
