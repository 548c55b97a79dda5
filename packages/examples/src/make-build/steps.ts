// One task per target, all defined at top level from the graph: a worker (this program, re-run) finds a target's
// task by name. The trace then shows one slice per target, named after it.
import { Task, type TaskType } from '@cohort/core';
import { z } from 'zod';
import { Artifact, readArtifact, writeArtifact } from './artifact.js';
import { targets } from './graph.js';
import { Inputs, Note, Progress } from './messages.js';
import { recipes } from './recipes/by-name.js';
import type { StepIo } from './recipes/step-io.js';

export const StepInput = z.object({
  /** Throw instead of building (`--fail TARGET`), to watch the build go on around a broken step. */
  fail: z.boolean().default(false),
  /** Run the seeded bug of a target that `hangs` (off with `--no-hang`). */
  hang: z.boolean().default(false),
});

export type Step = TaskType<string, typeof StepInput, typeof Artifact>;

function defineStep(target: (typeof targets)[number]): Step {
  return Task.define({
    name: target.name,
    input: StepInput,
    output: Artifact,
    run: async ({ fail, hang }, ctx) => {
      // The scheduler sends this from onStart: what the dependencies made, known only once they have finished.
      const { buildDir, artifacts } = await ctx.receive(Inputs);
      const io: StepIo = {
        target,
        hang,
        inputs: artifacts,
        read: (dep) => {
          const artifact = artifacts[dep];
          if (artifact === undefined)
            return Promise.reject(new Error(`${target.name} reads "${dep}", which is not one of its dependencies`));
          return readArtifact(buildDir, artifact);
        },
        readFile: (artifact) => readArtifact(buildDir, artifact),
        write: (file, data) => writeArtifact(buildDir, file, data),
        progress: (percent, note) => ctx.send(Progress, { percent: Math.round(percent), note }),
        note: (text) => ctx.send(Note, text),
      };
      if (fail) throw new Error(`injected failure (--fail ${target.name})`);
      return recipes[target.recipe](io);
    },
  });
}

export const steps: ReadonlyMap<string, Step> = new Map(targets.map((target) => [target.name, defineStep(target)]));
