import { formatIssues } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { CohortError } from './errors.js';

/**
 * Checks an options object against its (strict) schema: a wrong type, a bad value or a misspelt option is a
 * `CohortError` `INVALID_ARGUMENT` that names the call and the option, never a silent default.
 */
export function checkOptions<S extends z.ZodType>(schema: S, options: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success)
    throw new CohortError('INVALID_ARGUMENT', `${where}: invalid options (${formatIssues(parsed.error.issues, 5)})`);
  return parsed.data;
}
