// Reads a trace file and checks it is Chrome trace-event JSON as Perfetto opens it: an object with `traceEvents`,
// metadata events naming the process and each thread (track), complete events (`ph: 'X'`) with times in µs.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const Metadata = z.object({
  ph: z.literal('M'),
  pid: z.number().int(),
  tid: z.number().int(),
  name: z.enum(['process_name', 'thread_name']),
  args: z.object({ name: z.string() }),
});
const Complete = z.object({
  ph: z.literal('X'),
  pid: z.number().int(),
  tid: z.number().int(),
  name: z.string(),
  ts: z.number().nonnegative(),
  dur: z.number().positive(),
  args: z.record(z.string(), z.string()).optional(),
});
const ChromeTrace = z.object({
  traceEvents: z.array(z.union([Metadata, Complete])),
  displayTimeUnit: z.enum(['ms', 'ns']).optional(),
});

export type Slice = z.infer<typeof Complete>;

export interface Trace {
  readonly slices: readonly Slice[];
  /** Track (tid) → its name. */
  readonly threads: ReadonlyMap<number, string>;
  readonly processName: string | undefined;
}

export function readChromeTrace(path: string): Trace {
  const trace = ChromeTrace.parse(JSON.parse(readFileSync(path, 'utf8')));
  const slices: Slice[] = [];
  const threads = new Map<number, string>();
  let processName: string | undefined;
  for (const event of trace.traceEvents) {
    if (event.ph === 'X') slices.push(event);
    else if (event.name === 'thread_name') threads.set(event.tid, event.args.name);
    else processName = event.args.name;
  }
  return { slices, threads, processName };
}

/** The most slices running at the same instant. */
export function maxConcurrent(slices: readonly Slice[]): number {
  const edges = slices.flatMap((s) => [
    { at: s.ts, delta: 1 },
    { at: s.ts + s.dur, delta: -1 },
  ]);
  // An end and a start at the same microsecond do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const e of edges) {
    running += e.delta;
    most = Math.max(most, running);
  }
  return most;
}
