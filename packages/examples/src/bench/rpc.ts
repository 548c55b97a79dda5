import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './child-process.js';
import { compare, metric, type BenchContext, type BenchGroup, type Metric, type Summary } from './harness.js';
import { CohortClient } from './rpc/cohort-client.js';
import type { RpcSubject } from './rpc/definitions.js';
import { RawClient } from './rpc/raw-client.js';
import { echoThroughput, sequentialLatency, streamThroughput, windowedThroughput } from './rpc/workloads.js';
import { benchScript } from './script-url.js';

// @cohort/rpc against a hand-written baseline: length-prefixed msgpackr frames over the same kind of Unix socket,
// between the same two processes (this process as the client, one child serving both; see rpc/server-main.ts).

const GROUP = 'rpc';
const RAW = 'raw msgpackr frames';
const MiB = 1024 * 1024;

interface Plan {
  latency: { callsPerSample: number; warmup: number; repetitions: number };
  inFlight: { calls: number; window: number; warmup: number; repetitions: number };
  echo: { bytes: number; warmup: number; repetitions: number };
  stream: { items: number; warmup: number; repetitions: number };
}

const FULL: Plan = {
  latency: { callsPerSample: 100, warmup: 40, repetitions: 101 },
  inFlight: { calls: 100_000, window: 256, warmup: 1, repetitions: 5 },
  echo: { bytes: 16 * MiB, warmup: 3, repetitions: 25 },
  stream: { items: 1_000_000, warmup: 1, repetitions: 5 },
};

const QUICK: Plan = {
  latency: { callsPerSample: 100, warmup: 10, repetitions: 21 },
  inFlight: { calls: 20_000, window: 256, warmup: 1, repetitions: 3 },
  echo: { bytes: 16 * MiB, warmup: 1, repetitions: 3 },
  stream: { items: 1_000_000, warmup: 0, repetitions: 1 },
};

async function measureAll(context: BenchContext, raw: RpcSubject, cohort: RpcSubject): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  const metrics: Metric[] = [];
  const baseline = (summary: Summary): { name: string; summary: Summary } => ({ name: RAW, summary });

  context.progress('rpc: sequential round trips');
  const { latency } = plan;
  const trips = await compare({
    warmup: latency.warmup,
    repetitions: latency.repetitions,
    baseline: sequentialLatency(raw, latency.callsPerSample),
    cohort: sequentialLatency(cohort, latency.callsPerSample),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: 'round trip, sequential add',
      unit: 'µs',
      higherIsBetter: false,
      target: { kind: 'ratio', limit: 1.25 },
      cohort: trips.cohort,
      baseline: baseline(trips.baseline),
    }),
  );

  context.progress(`rpc: ${plan.inFlight.calls} calls, ${plan.inFlight.window} in flight`);
  const { inFlight } = plan;
  const busy = await compare({
    warmup: inFlight.warmup,
    repetitions: inFlight.repetitions,
    baseline: windowedThroughput(raw, inFlight.calls, inFlight.window),
    cohort: windowedThroughput(cohort, inFlight.calls, inFlight.window),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${inFlight.window} calls in flight`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 0.5 },
      cohort: busy.cohort,
      baseline: baseline(busy.baseline),
    }),
  );

  context.progress(`rpc: ${plan.echo.bytes / MiB} MiB echo`);
  const payload = randomFillSync(new Uint8Array(plan.echo.bytes));
  const echoes = await compare({
    warmup: plan.echo.warmup,
    repetitions: plan.echo.repetitions,
    baseline: echoThroughput(raw, payload),
    cohort: echoThroughput(cohort, payload),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${plan.echo.bytes / MiB} MiB Uint8Array echo`,
      unit: 'MiB/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 0.8 },
      cohort: echoes.cohort,
      baseline: baseline(echoes.baseline),
    }),
  );

  context.progress(`rpc: pipe of ${plan.stream.items.toLocaleString('en-US')} numbers`);
  const streams = await compare({
    warmup: plan.stream.warmup,
    repetitions: plan.stream.repetitions,
    baseline: streamThroughput(raw, plan.stream.items),
    cohort: streamThroughput(cohort, plan.stream.items),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `pipe of ${plan.stream.items / 1_000_000} M numbers`,
      unit: 'items/s',
      higherIsBetter: true,
      target: { kind: 'absolute', limit: 500_000 },
      cohort: streams.cohort,
      baseline: { name: 'raw batches of 1024', summary: streams.baseline },
    }),
  );
  return metrics;
}

export const rpcGroup: BenchGroup = {
  name: GROUP,
  title: '@cohort/rpc vs hand-written msgpackr frames, client here, server in a child process, Unix socket',
  async run(context) {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-rpc-'));
    // Ctrl-C exits from the signal handler, skipping `finally`: remove the sockets' directory on exit too.
    const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
    process.once('exit', removeDir);
    const secret = randomBytes(32).toString('hex');
    const rawPath = join(dir, 'raw.sock');
    const cohortPath = join(dir, 'cohort.sock');
    let server: ServerProcess | undefined;
    const clients: RpcSubject[] = [];
    try {
      context.progress('rpc: starting the server process');
      server = await startServer(benchScript('./rpc/server-main', import.meta.url), [rawPath, cohortPath], { env: { BENCH_SECRET: secret } });
      const raw = await RawClient.connect(rawPath);
      clients.push(raw);
      const cohort = await CohortClient.connect(cohortPath, secret);
      clients.push(cohort);
      return await measureAll(context, raw, cohort);
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
      await server?.stop();
      process.off('exit', removeDir);
      removeDir();
    }
  },
};
