import { ValidationError, formatIssues } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { Registry } from '../common/registry.js';

/** A message of type `N` carrying a value of type `T`, as handlers and `ctx.receive()` see it. */
export interface Message<N extends string = string, T = unknown> {
  readonly type: N;
  readonly value: T;
}

/** A declared message type. `Type.is(msg)` narrows a received message to this type. */
export interface MessageType<N extends string, S extends z.ZodType> {
  readonly name: N;
  readonly schema: S;
  /** True (and narrows) when `message` is of this type. */
  is(message: Message): message is Message<N, z.output<S>>;
}

/** Any message type, its parameters erased. */
export type AnyMessageType = MessageType<string, z.ZodType>;

export const messageTypes = new Registry<AnyMessageType>('message type');

/**
 * Declares a message type that tasks and the scheduler exchange. Call at top level (both sides re-run it); a
 * name defined twice throws.
 * @example export const Log = Message.define('log', z.string());
 */
function define<const N extends string, S extends z.ZodType>(name: N, schema: S): MessageType<N, S> {
  const type: MessageType<N, S> = Object.freeze({
    name,
    schema,
    is: (message: Message): message is Message<N, z.output<S>> => message.type === name,
  });
  messageTypes.add(name, type as unknown as AnyMessageType);
  return type;
}

/** Message types: `Message.define(name, schema)`. */
export const Message = Object.freeze({ define });

/** Encodes a message for the wire after checking it against its schema (a `ValidationError` on bad values). */
export function encodeMessage(type: AnyMessageType, value: unknown): Message {
  const checked = type.schema.safeParse(value);
  if (!checked.success)
    throw new ValidationError({
      side: 'input',
      subject: `message ${type.name}`,
      issues: checked.error.issues,
      what: 'value',
    });
  return { type: type.name, value: checked.data };
}

/**
 * Checks a message from the other side against the locally declared type of the same name. Returns an error
 * text instead of throwing: a bad message is reported, never allowed to take a task down.
 */
export function decodeMessage(raw: { type: string; value: unknown }): Message | string {
  const type = messageTypes.get(raw.type);
  if (type === undefined)
    return `unknown message type "${raw.type}": define it with Message.define at top level on both sides`;
  const parsed = type.schema.safeParse(raw.value);
  if (!parsed.success) return `invalid "${raw.type}" message: ${formatIssues(parsed.error.issues)}`;
  return { type: raw.type, value: parsed.data };
}
