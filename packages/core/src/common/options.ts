import { formatIssues } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { CohortError } from './errors.js';

/**
 * Parse options for a schema that checks one value now and then (options, a bootstrap, a report), not a value per
 * call: zod would otherwise generate and compile a fast path for each object schema on its first parse, which costs
 * a millisecond or more, paid again in every new process, and never pays back.
 */
export const ONCE = { jitless: true } as const;

/**
 * Checks an options object against its (strict) schema: a wrong type, a bad value or a misspelt option is a
 * `CohortError` `INVALID_ARGUMENT` that names the call and the option, never a silent default.
 */
export function checkOptions<S extends z.ZodType>(schema: S, options: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {}, ONCE);
  if (!parsed.success)
    throw new CohortError('INVALID_ARGUMENT', `${where}: invalid options (${formatIssues(parsed.error.issues, 5)})`);
  return parsed.data;
}

/**
 * A value (zod schemas, mostly) built the first time it is needed, not when its module loads. Building zod schemas
 * is most of what loading `@cohort/core` costs, every worker process loads all of it, and most of its schemas check
 * what only a spawner is given (the options of spawns, pools, hosts…): a worker that never spawns never builds them.
 */
export function lazily<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
