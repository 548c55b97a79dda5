import { CohortError } from './errors.js';

/**
 * Names must be unique per program: a spawned worker finds its type (and the scheduler its tasks and messages)
 * by name, after re-running the same top-level code as its spawner.
 */
export class Registry<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly what: string) {}

  add(name: string, entry: T): void {
    if (this.entries.has(name)) {
      throw new CohortError(
        'DUPLICATE_NAME',
        `${this.what} "${name}" is defined twice; names must be unique per program (define each once, at top level)`,
      );
    }
    this.entries.set(name, entry);
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}
