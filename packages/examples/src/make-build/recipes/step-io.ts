import type { Artifact } from '../artifact.js';
import type { Target } from '../graph.js';

/** What a recipe works with: its target, its dependencies' artifacts, the build directory, and progress. */
export interface StepIo {
  readonly target: Target;
  /** Set on the target with the seeded bug, unless the build runs with --no-hang. */
  readonly hang: boolean;
  /** The file a dependency made, its digest checked. */
  read(dep: string): Promise<Buffer>;
  /** Any file of the build, its digest checked. */
  readFile(artifact: Artifact): Promise<Buffer>;
  /** The artifacts of the dependencies, by target name. */
  readonly inputs: Readonly<Record<string, Artifact>>;
  write(file: string, data: Uint8Array | string): Promise<Artifact>;
  progress(percent: number, note: string): void;
  /** A line for the build log. */
  note(text: string): void;
}

export type Recipe = (io: StepIo) => Promise<Artifact>;
