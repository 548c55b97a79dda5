// Micro-benchmark of call-site capture: what `dispatch` (and a worker's `run`) pays per call so that a failure points
// at the caller's line. Not a bench group (no target to meet): run it alone, and read it beside `pnpm bench rpc
// parallel`, whose round trips include the capture.
//
//   pnpm --filter @cohort/examples exec tsx src/bench/call-site.ts
//
// Two paired comparisons (alternating samples, medians; see harness.ts), each "off" against "on":
// 1. the capture alone, at a typical depth (a dozen frames below the entry point), in ns per capture;
// 2. a sequential round trip of `dispatch(add)` on a real connection over a Unix socket (server and client in this
//    process: the round trip is short, so the capture weighs more than across processes), in µs per call, with the
//    capture off (`Error.stackTraceLimit = 0`, which skips it) and on (the default limit of 10 frames).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Rpc, Server } from '@cohort/rpc';
import { captureCallSite } from '@cohort/rpc/internal';
import { compare, now, type Summary } from './harness.js';
import { add } from './rpc/definitions.js';

const CAPTURES_PER_SAMPLE = 20_000;
const CALLS_PER_SAMPLE = 200;
const DEPTH = 12;
const limit = Error.stackTraceLimit;

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

async function roundTrips(connection: Connection, stackTraceLimit: number): Promise<number> {
  Error.stackTraceLimit = stackTraceLimit;
  try {
    const began = now();
    for (let i = 0; i < CALLS_PER_SAMPLE; i++) await connection.dispatch(add, [i, 1]);
    return ((now() - began) * 1000) / CALLS_PER_SAMPLE;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const show = (summary: Summary, digits: number): string => `${summary.median.toFixed(digits)} (min ${summary.min.toFixed(digits)})`;

const capture = await compare({ warmup: 5, repetitions: 41, baseline: () => captures(false), cohort: () => captures(true) });
console.log(
  `capture alone, ${DEPTH} frames deep: ${show(capture.baseline, 1)} ns without, ${show(capture.cohort, 1)} ns with: ` +
    `${(capture.cohort.median - capture.baseline.median).toFixed(0)} ns per capture (${captured} captured)`,
);

const dir = mkdtempSync(join(tmpdir(), 'cohort-call-site-'));
const server = await Server.listen({ address: { path: join(dir, 's.sock') }, implementations: [Rpc.implement(add, ([a, b]) => a + b)] });
const connection = await Connection.connect({ address: server.address });
try {
  const trips = await compare({
    warmup: 20,
    repetitions: 101,
    baseline: () => roundTrips(connection, 0),
    cohort: () => roundTrips(connection, limit),
  });
  const ratio = trips.cohort.median / trips.baseline.median;
  console.log(
    `round trip, dispatch(add): ${show(trips.baseline, 2)} µs without, ${show(trips.cohort, 2)} µs with: ` +
      `${((ratio - 1) * 100).toFixed(1)} % (${((trips.cohort.median - trips.baseline.median) * 1000).toFixed(0)} ns)`,
  );
} finally {
  await connection.close('done');
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
