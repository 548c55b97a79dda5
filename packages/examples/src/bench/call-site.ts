// Micro-benchmark of call sites: what a call pays so that its failure points at the caller's line. Not a bench group
// (no target to meet): run it alone.
//
//   pnpm --filter @cohort/examples exec tsx src/bench/call-site.ts [--ways lazy|eager] [--in-flight]
//
// Paired comparisons (alternating samples, medians; see harness.ts):
// 1. the capture alone (`Error.captureStackTrace`) at a typical depth (a dozen frames below the entry point), in ns;
// 2. the rpc bench's sequential round trip (`add` over a Unix socket to a server in a child process, see rpc.ts), in
//    µs per call, three ways on one connection: untraced (`dispatchFrom` with no site: the call as it was before call
//    sites), as shipped (`dispatch`: lazy, an extra async function that looks for the caller only on failure), and
//    eager (a stack captured on every call, as streams do);
// 3. the same three ways with 256 calls in flight, in calls/s.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@cohort/rpc';
import { captureCallSite, dispatchFrom } from '@cohort/rpc/internal';
import { startServer } from './child-process.js';
import { compare, now, type Summary } from './harness.js';
import { add, type Adder } from './rpc/definitions.js';
import { sequentialLatency, windowedThroughput } from './rpc/workloads.js';

const CAPTURES_PER_SAMPLE = 20_000;
const CALLS_PER_SAMPLE = 100;
const IN_FLIGHT_CALLS = 20_000;
const DEPTH = 12;

/** Sites captured, counted so that the capture is not optimised away. */
let captured = 0;
function entryPoint(capture: boolean): void {
  if (capture && captureCallSite(entryPoint) !== undefined) captured++;
}
/** `entryPoint` called `depth` frames down, as a user's code calls `dispatch` from some depth. */
function atDepth(depth: number, capture: boolean): void {
  if (depth === 0) entryPoint(capture);
  else atDepth(depth - 1, capture);
}

async function captures(capture: boolean): Promise<number> {
  const began = now();
  for (let i = 0; i < CAPTURES_PER_SAMPLE; i++) atDepth(DEPTH, capture);
  return ((now() - began) * 1e6) / CAPTURES_PER_SAMPLE;
}

type Way = 'untraced' | 'lazy' | 'eager';

/** A client of the rpc bench's workloads that dispatches `add` one of the three ways. */
function adder(connection: Connection, way: Way): Adder {
  const untraced = (a: number, b: number): Promise<number> =>
    connection[dispatchFrom](undefined, add, [a, b]) as Promise<number>;
  const lazy = (a: number, b: number): Promise<number> => connection.dispatch(add, [a, b]);
  const eager = (a: number, b: number): Promise<number> =>
    connection[dispatchFrom](captureCallSite(eager), add, [a, b]) as Promise<number>;
  return { add: way === 'untraced' ? untraced : way === 'lazy' ? lazy : eager };
}
const show = (summary: Summary, digits: number): string =>
  `${summary.median.toFixed(digits)} (min ${summary.min.toFixed(digits)})`;

// `--ways lazy` (or `eager`) compares that way alone with the untraced calls; `--in-flight` skips the rest.
const waysArg = process.argv.indexOf('--ways');
const ways = waysArg === -1 ? (['lazy', 'eager'] as const) : ([process.argv[waysArg + 1] as Way] as const);
const inFlightOnly = process.argv.includes('--in-flight');

const capture = await compare({
  warmup: 5,
  repetitions: inFlightOnly ? 1 : 41,
  baseline: () => captures(false),
  cohort: () => captures(true),
});
console.log(
  `capture alone, ${DEPTH} frames deep: ${show(capture.baseline, 1)} ns without, ${show(capture.cohort, 1)} ns with: ` +
    `${(capture.cohort.median - capture.baseline.median).toFixed(0)} ns per capture (${captured} captured)`,
);

const dir = mkdtempSync(join(tmpdir(), 'cohort-call-site-'));
const secret = randomBytes(32).toString('hex');
const server = await startServer(
  new URL('./rpc/server-main.ts', import.meta.url),
  [join(dir, 'raw.sock'), join(dir, 'cohort.sock')],
  {
    env: { BENCH_SECRET: secret },
  },
);
const connection = await Connection.connect({ address: { path: join(dir, 'cohort.sock') }, secret });
const percent = (a: Summary, b: Summary): string => `${((b.median / a.median - 1) * 100).toFixed(1)} %`;
try {
  for (const way of inFlightOnly ? [] : ways) {
    const trips = await compare({
      warmup: 40,
      repetitions: 101,
      baseline: sequentialLatency(adder(connection, 'untraced'), CALLS_PER_SAMPLE),
      cohort: sequentialLatency(adder(connection, way), CALLS_PER_SAMPLE),
    });
    console.log(
      `round trip, sequential add: untraced ${show(trips.baseline, 2)} µs, ${way} ${show(trips.cohort, 2)} µs: ${percent(trips.baseline, trips.cohort)}`,
    );
  }
  for (const way of ways) {
    const busy = await compare({
      warmup: 2,
      repetitions: inFlightOnly ? 61 : 21,
      baseline: windowedThroughput(adder(connection, 'untraced'), IN_FLIGHT_CALLS, 256),
      cohort: windowedThroughput(adder(connection, way), IN_FLIGHT_CALLS, 256),
    });
    console.log(
      `256 calls in flight: untraced ${show(busy.baseline, 0)} calls/s, ${way} ${show(busy.cohort, 0)} calls/s: ${percent(busy.baseline, busy.cohort)}`,
    );
  }
} finally {
  await connection.close('done');
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
