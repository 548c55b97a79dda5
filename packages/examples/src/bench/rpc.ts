import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from '@cohort/rpc';
import { startServer, type ServerProcess } from './child-process.js';
import {
  compare,
  metric,
  now,
  type Sampler,
  type BenchContext,
  type BenchGroup,
  type Metric,
  type Summary,
} from './harness.js';
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
const TARGET_PIPE: Metric['target'] = { kind: 'ratio', limit: 0.5 };

interface Plan {
  latency: { callsPerSample: number; warmup: number; repetitions: number };
  inFlight: { calls: number; window: number; warmup: number; repetitions: number };
  echo: { bytes: number; warmup: number; repetitions: number };
  stream: { items: number; warmup: number; repetitions: number };
  connect: { warmup: number; repetitions: number };
}

const FULL: Plan = {
  latency: { callsPerSample: 100, warmup: 40, repetitions: 101 },
  inFlight: { calls: 100_000, window: 256, warmup: 1, repetitions: 5 },
  echo: { bytes: 16 * MiB, warmup: 3, repetitions: 25 },
  stream: { items: 1_000_000, warmup: 1, repetitions: 5 },
  connect: { warmup: 5, repetitions: 41 },
};

const QUICK: Plan = {
  latency: { callsPerSample: 100, warmup: 5, repetitions: 11 },
  inFlight: { calls: 10_000, window: 256, warmup: 0, repetitions: 2 },
  echo: { bytes: 8 * MiB, warmup: 0, repetitions: 2 },
  stream: { items: 200_000, warmup: 0, repetitions: 1 },
  connect: { warmup: 1, repetitions: 5 },
};

async function measureAll(context: BenchContext, raw: RawClient, cohort: CohortClient): Promise<Metric[]> {
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
      target: { kind: 'ratio', limit: 0.9 },
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
  const millions = `${plan.stream.items / 1_000_000} M`;
  const pipe = async (
    name: string,
    baselineName: string,
    target: Metric['target'],
    subjects: { baseline: Sampler; cohort: Sampler },
  ): Promise<void> => {
    const result = await compare({ warmup: plan.stream.warmup, repetitions: plan.stream.repetitions, ...subjects });
    metrics.push(
      metric({
        group: GROUP,
        name,
        unit: 'items/s',
        higherIsBetter: true,
        target,
        cohort: result.cohort,
        baseline: { name: baselineName, summary: result.baseline },
      }),
    );
  };
  // The server draws the items from a sync generator and the client reads them in batches, as the raw pair does.
  await pipe(`pipe of ${millions} numbers`, 'raw batches of 1024', TARGET_PIPE, {
    baseline: streamThroughput(raw, plan.stream.items),
    cohort: streamThroughput(cohort, plan.stream.items),
  });
  // The same stream read with `for await`, a promise per item on the client.
  await pipe(
    `pipe of ${millions} numbers, read item by item`,
    'raw batches of 1024',
    { kind: 'none' },
    {
      baseline: streamThroughput(raw, plan.stream.items),
      cohort: streamThroughput({ count: (n) => cohort.countItemByItem(n) }, plan.stream.items),
    },
  );
  // Items from an async generator, read item by item, against a raw server whose items come from the same kind of
  // generator: each item then costs a generator step and a promise on the server, whatever carries it.
  await pipe(
    `pipe of ${millions} numbers from an async generator, read item by item`,
    'raw batches of 1024, drawn from an async generator',
    TARGET_PIPE,
    {
      baseline: streamThroughput({ count: (n) => raw.countFromGenerator(n) }, plan.stream.items),
      cohort: streamThroughput({ count: (n) => cohort.countFromGenerator(n) }, plan.stream.items),
    },
  );
  return metrics;
}

const ENCRYPTED = 'encrypted (TLS 1.3), TCP loopback';
const PLAIN_TCP = 'Cohort, plain TCP loopback';

/** Opens a connection with `encryption` and makes one call (one sample: that time in ms), then closes it. */
function connectAndCall(address: Address, secret: string, encryption: 'always' | 'never'): Sampler {
  return async () => {
    const start = now();
    const client = await CohortClient.connect(address, secret, { encryption });
    await client.add(1, 2);
    const ms = now() - start;
    await client.close();
    return ms;
  };
}

/**
 * What encryption costs: the same Cohort server on TCP loopback, called by a client with encryption 'always' and by
 * one with 'never', paired in the same run. Loopback is the worst case for TLS (nothing else costs anything there),
 * and why 'auto' leaves loopback (and Unix sockets) plain: nobody is on that path.
 */
async function measureEncryption(
  context: BenchContext,
  tcp: Address,
  secret: string,
  plain: RpcSubject,
  encrypted: RpcSubject,
): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  const metrics: Metric[] = [];
  const baseline = (summary: Summary): { name: string; summary: Summary } => ({ name: PLAIN_TCP, summary });

  context.progress('rpc: sequential round trips, encrypted and plain TCP');
  const { latency, inFlight } = plan;
  const trips = await compare({
    warmup: latency.warmup,
    repetitions: latency.repetitions,
    baseline: sequentialLatency(plain, latency.callsPerSample),
    cohort: sequentialLatency(encrypted, latency.callsPerSample),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `round trip, sequential add, ${ENCRYPTED}`,
      unit: 'µs',
      higherIsBetter: false,
      target: { kind: 'none' },
      cohort: trips.cohort,
      baseline: baseline(trips.baseline),
    }),
  );

  context.progress(`rpc: ${inFlight.calls} calls, ${inFlight.window} in flight, encrypted and plain TCP`);
  const busy = await compare({
    warmup: inFlight.warmup,
    repetitions: inFlight.repetitions,
    baseline: windowedThroughput(plain, inFlight.calls, inFlight.window),
    cohort: windowedThroughput(encrypted, inFlight.calls, inFlight.window),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${inFlight.window} calls in flight, ${ENCRYPTED}`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: busy.cohort,
      baseline: baseline(busy.baseline),
    }),
  );

  context.progress('rpc: connect and first call, encrypted and plain TCP');
  const connects = await compare({
    warmup: plan.connect.warmup,
    repetitions: plan.connect.repetitions,
    baseline: connectAndCall(tcp, secret, 'never'),
    cohort: connectAndCall(tcp, secret, 'always'),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `connect and first call, ${ENCRYPTED}`,
      unit: 'ms',
      higherIsBetter: false,
      target: { kind: 'none' },
      cohort: connects.cohort,
      baseline: baseline(connects.baseline),
    }),
  );

  context.progress(`rpc: ${plan.echo.bytes / MiB} MiB echo, encrypted and plain TCP`);
  const payload = randomFillSync(new Uint8Array(plan.echo.bytes));
  const echoes = await compare({
    warmup: plan.echo.warmup,
    repetitions: plan.echo.repetitions,
    baseline: echoThroughput(plain, payload),
    cohort: echoThroughput(encrypted, payload),
  });
  metrics.push(
    metric({
      group: GROUP,
      name: `${plan.echo.bytes / MiB} MiB Uint8Array echo, ${ENCRYPTED}`,
      unit: 'MiB/s',
      higherIsBetter: true,
      target: { kind: 'none' },
      cohort: echoes.cohort,
      baseline: baseline(echoes.baseline),
    }),
  );
  return metrics;
}

export const rpcGroup: BenchGroup = {
  name: GROUP,
  title:
    '@cohort/rpc vs hand-written msgpackr frames, client here, server in a child process, Unix socket; and encrypted vs plain TCP loopback',
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
      let tcpPort: number | undefined;
      const onLine = (line: string): void => {
        if (line.startsWith('tcp-port ')) tcpPort = Number(line.slice('tcp-port '.length));
      };
      server = await startServer(benchScript('./rpc/server-main', import.meta.url), [rawPath, cohortPath], {
        env: { BENCH_SECRET: secret },
        onLine,
      });
      if (tcpPort === undefined) throw new Error('bench: the rpc server did not say its TCP port');
      const raw = await RawClient.connect(rawPath);
      clients.push(raw);
      const cohort = await CohortClient.connect({ path: cohortPath }, secret);
      clients.push(cohort);
      const tcp = { host: '127.0.0.1', port: tcpPort };
      const plainTcp = await CohortClient.connect(tcp, secret, { encryption: 'never' });
      clients.push(plainTcp);
      const encryptedTcp = await CohortClient.connect(tcp, secret, { encryption: 'always' });
      clients.push(encryptedTcp);
      if (plainTcp.encrypted || !encryptedTcp.encrypted)
        throw new Error('bench: the TCP clients are not encrypted as their names say');
      return [
        ...(await measureAll(context, raw, cohort)),
        ...(await measureEncryption(context, tcp, secret, plainTcp, encryptedTcp)),
      ];
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
      await server?.stop();
      process.off('exit', removeDir);
      removeDir();
    }
  },
};
