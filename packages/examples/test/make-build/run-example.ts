// Runs the make-build example through the shared example runner (which proves afterwards that none of the
// processes it started is alive, the worker pids it printed from onWorkerSpawn included) and reads its stamped
// build log.
import { runExample, type ExampleEnd } from '../support/run-example.js';

export interface BuildEvent {
  readonly kind: string;
  readonly text: string;
  /** Its index in `lines`, to compare orders. */
  readonly line: number;
}

export interface ExampleRun extends ExampleEnd {
  /** The stamped lines: `[ 1.2 s] built   link → …`. */
  readonly events: readonly BuildEvent[];
}

const workerUp = (lines: readonly string[]): number[] =>
  lines.flatMap((l) => /\] worker\s+worker \d+ up, pid (\d+)$/.exec(l)?.[1] ?? []).map(Number);

export async function runMakeBuild(args: readonly string[], timeoutMs = 60_000): Promise<ExampleRun> {
  const run = await runExample('make-build', { args, timeoutMs, workerPids: workerUp });
  const events = run.lines.flatMap((l, line) => {
    const match = /^\[\s*[\d.]+ s\] (\S+)\s+(.*)$/.exec(l);
    return match === null ? [] : [{ kind: match[1]!, text: match[2]!, line }];
  });
  return { ...run, events };
}
