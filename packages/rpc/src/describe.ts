/** What `formatIssues` reads from a zod issue. */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Zod issues as one line: `a.b: expected number; (root): required`, the first `max` of them. Every layer that
 * reports a schema failure uses it, so users see one format.
 */
export function formatIssues(issues: readonly IssueLike[], max = 3): string {
  const shown = issues
    .slice(0, max)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return issues.length > max ? `${shown}; …` : shown;
}

/** A thrown value as text: an error's stack (or name and message), a string as is, anything else as JSON. */
export function describeThrown(value: unknown, { stack = false }: { stack?: boolean } = {}): string {
  if (value instanceof Error) return stack && value.stack !== undefined ? value.stack : `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
