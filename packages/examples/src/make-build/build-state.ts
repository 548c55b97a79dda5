import type { Target } from './graph.js';

export type TargetState = 'waiting' | 'queued' | 'running' | 'built' | 'failed' | 'skipped';

/** A target make -k gave up on: one of its dependencies failed or was itself skipped. */
export interface Skipped {
  readonly target: string;
  readonly because: string;
}

/**
 * Where each target of the build stands. A target is ready once all its dependencies are built; when one fails,
 * every target that needs it (directly or not) is skipped, and the rest of the build goes on (make -k).
 */
export class BuildState<A> {
  private readonly states = new Map<string, TargetState>();
  private readonly outputs = new Map<string, A>();
  readonly byName: ReadonlyMap<string, Target>;

  constructor(readonly targets: readonly Target[]) {
    this.byName = new Map(targets.map((t) => [t.name, t]));
    checkGraph(targets, this.byName);
    for (const t of targets) this.states.set(t.name, 'waiting');
  }

  state(name: string): TargetState {
    const state = this.states.get(name);
    if (state === undefined) throw new Error(`unknown target "${name}"`);
    return state;
  }

  /** Waiting targets whose dependencies are all built, now marked queued: each target is returned once. */
  takeReady(): Target[] {
    const ready = this.targets.filter(
      (t) => this.state(t.name) === 'waiting' && t.deps.every((d) => this.state(d) === 'built'),
    );
    for (const t of ready) this.states.set(t.name, 'queued');
    return ready;
  }

  markRunning(name: string): void {
    this.states.set(name, 'running');
  }

  markBuilt(name: string, output: A): void {
    this.states.set(name, 'built');
    this.outputs.set(name, output);
  }

  /** Marks `name` failed and returns the targets skipped because of it, in graph order. */
  markFailed(name: string): Skipped[] {
    this.states.set(name, 'failed');
    const skipped: Skipped[] = [];
    // Targets are in dependency order, so one pass sees a skipped dependency before its dependents.
    for (const t of this.targets) {
      if (this.state(t.name) !== 'waiting') continue;
      const blocker = t.deps.find((d) => this.state(d) === 'failed' || this.state(d) === 'skipped');
      if (blocker === undefined) continue;
      this.states.set(t.name, 'skipped');
      skipped.push({ target: t.name, because: blocker });
    }
    return skipped;
  }

  /** The outputs of `target`'s dependencies (all built, or it would not have started). */
  outputsFor(target: Target): Record<string, A> {
    return Object.fromEntries(target.deps.map((d) => [d, this.outputs.get(d)!]));
  }

  output(name: string): A | undefined {
    return this.outputs.get(name);
  }

  named(state: TargetState): string[] {
    return this.targets.filter((t) => this.state(t.name) === state).map((t) => t.name);
  }

  /** Nothing left to run: every target is built, failed or skipped. */
  get complete(): boolean {
    return this.targets.every((t) => ['built', 'failed', 'skipped'].includes(this.state(t.name)));
  }
}

/** Every dependency exists and comes earlier in the list (so the graph has no cycle). */
function checkGraph(targets: readonly Target[], byName: ReadonlyMap<string, Target>): void {
  if (byName.size !== targets.length) throw new Error('two targets have the same name');
  const seen = new Set<string>();
  for (const t of targets) {
    for (const d of t.deps) {
      if (!byName.has(d)) throw new Error(`target "${t.name}" needs "${d}", which is not a target`);
      if (!seen.has(d))
        throw new Error(`target "${t.name}" needs "${d}", listed after it: list targets in dependency order`);
    }
    seen.add(t.name);
  }
}
