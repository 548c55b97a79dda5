import type { WireRemoteError, WireThrown } from '../wire/messages.js';

/**
 * The built-in error classes, by name: a remote `TypeError` comes back as a `TypeError` (so `instanceof` works on
 * it as it did where it was thrown); any other name (a class of the peer's program) as an `Error` of that name.
 */
const BUILT_IN: Readonly<Record<string, ErrorConstructor>> = Object.assign(
  Object.create(null) as Record<string, ErrorConstructor>,
  {
    Error,
    TypeError,
    RangeError,
    ReferenceError,
    SyntaxError,
    EvalError,
    URIError,
  },
);

/** Parts of the error that a field must not overwrite. */
const PARTS = new Set(['name', 'message', 'stack', 'code', 'data', 'cause', 'errors']);

const hidden = (value: unknown): PropertyDescriptor => ({
  value,
  writable: true,
  configurable: true,
  enumerable: false,
});
const shown = (value: unknown): PropertyDescriptor => ({ value, writable: true, configurable: true, enumerable: true });

/** A nested cause or `errors` entry, as it was on the other side: an error rebuilt, or the value itself. */
export function rebuildThrown(wire: WireThrown): unknown {
  return wire.type === 'value' ? wire.value : rebuildError(wire);
}

/**
 * The remote error rebuilt in this process: an `Error` (or the built-in class of its name, an `AggregateError` when
 * it has `errors`) whose `name`, `message`, `stack` (the remote one, as text), `code`, fields, `cause` and `errors`
 * are the remote ones. Like a native error's, `name`, `stack`, `cause` and `errors` are not enumerable; `code`, `data`
 * and the fields are, so logging it shows them.
 */
export function rebuildError(wire: WireRemoteError): Error {
  const errors = wire.errors?.map(rebuildThrown);
  const error =
    errors !== undefined ? new AggregateError(errors, wire.message) : new (BUILT_IN[wire.name] ?? Error)(wire.message);
  if (error.name !== wire.name) Object.defineProperty(error, 'name', hidden(wire.name));
  Object.defineProperty(
    error,
    'stack',
    hidden(typeof wire.stack === 'string' ? wire.stack : `${wire.name}: ${wire.message}`),
  );
  if (wire.code !== undefined) Object.defineProperty(error, 'code', shown(wire.code));
  if (wire.data !== undefined) Object.defineProperty(error, 'data', shown(wire.data));
  for (const [key, value] of Object.entries(remoteFields(wire))) {
    // A field named like a member every error inherits (`toString`, `constructor`…) would break the rebuilt error
    // (`String(error)` calls `toString`): it stays in `remoteFields` only.
    if (!PARTS.has(key) && !(key in error)) Object.defineProperty(error, key, shown(value));
  }
  if (wire.cause !== undefined) Object.defineProperty(error, 'cause', hidden(rebuildThrown(wire.cause)));
  return error;
}

/** The remote error's fields as one object: its `fields` and, when it had one, its `data`. */
export function remoteFields(wire: WireRemoteError): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  // Defined, not assigned: a field named `__proto__` stays a field.
  for (const [key, value] of Object.entries(wire.fields ?? {})) Object.defineProperty(fields, key, shown(value));
  if (wire.data !== undefined) Object.defineProperty(fields, 'data', shown(wire.data));
  return fields;
}
