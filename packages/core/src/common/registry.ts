import { CohortError } from './errors.js';

/**
 * Names must be unique per program: a spawned worker finds its type (and the scheduler its tasks and messages)
 * by name, after re-running the same top-level code as its spawner.
 */
export class Registry<T> {
  private readonly entries = new Map<string, T>();
  /** Names whose entry is made on first use: calling the function adds it. */
  private readonly deferred = new Map<string, () => unknown>();

  constructor(private readonly what: string) {}

  add(name: string, entry: T): void {
    if (this.entries.has(name)) this.refuseTwice(name);
    // A deferred name's own definition running (through `get`, or called directly): its entry arrives.
    this.deferred.delete(name);
    this.entries.set(name, entry);
  }

  /**
   * Reserves `name` for an entry that `define` adds when it is first needed. Cohort's own worker types are defined
   * this way: every process loads them, few use them, and defining one builds all its schemas.
   */
  addDeferred(name: string, define: () => unknown): void {
    if (this.entries.has(name) || this.deferred.has(name)) this.refuseTwice(name);
    this.deferred.set(name, define);
  }

  get(name: string): T | undefined {
    this.deferred.get(name)?.();
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys(), ...this.deferred.keys()];
  }

  private refuseTwice(name: string): never {
    throw new CohortError(
      'DUPLICATE_NAME',
      `${this.what} "${name}" is defined twice; names must be unique per program (define each once, at top level)`,
    );
  }
}
