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

/**
 * A thrown value as text: an error's stack (or name and message), a string as is, anything else as JSON. Never
 * throws, whatever it is given (a getter that throws, a revoked proxy, an object without `toString`): it runs where
 * a failure is being reported, often inside a socket callback.
 */
export function describeThrown(value: unknown, { stack = false }: { stack?: boolean } = {}): string {
  try {
    if (value instanceof Error) {
      const trace: unknown = stack ? value.stack : undefined;
      return typeof trace === 'string' ? trace : `${String(value.name)}: ${String(value.message)}`;
    }
    if (typeof value === 'string') return value;
    return JSON.stringify(value, bigints) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      // No toString, or one that throws; a revoked proxy refuses even Object.prototype.toString.
      return `(a ${typeof value} that cannot be shown)`;
    }
  }
}

/** An error's message, or any other thrown value as `describeThrown` shows it. Never throws either. */
export function messageOf(value: unknown): string {
  try {
    if (value instanceof Error) return String(value.message);
  } catch {
    // A message getter that throws: the value as a whole says something still.
  }
  return describeThrown(value);
}

// JSON.stringify throws on a bigint; the text is for people.
const bigints = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? `${value}n` : value);
