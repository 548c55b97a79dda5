// The tunnel group's workloads, run in entry.ts's process (the Cohort master). Two workers on this machine, both
// started by the same launcher and agent (Hosts.command with `env` as the launcher): one reached directly by TCP on
// 127.0.0.1, one through the tunnel in the launcher's stdin/stdout. So the only difference is the route of the calls.
import { Hosts, type Worker } from '@cohort/core';
import type { Adder } from '../rpc/definitions.js';
import { sequentialLatency, windowedThroughput } from '../rpc/workloads.js';
import { serveSamplers } from '../sampler-serving.js';
import { BenchWorker } from '../parallel/bench-worker.js';
import { type BareRelay, startBareRelay } from './bare-relay.js';

type BenchWorkerHandle = Worker<typeof BenchWorker.name>;

/** Which route the calls take. */
export type Route = 'tcp' | 'tunnel';

export interface RouteArg {
  route: Route;
  calls: number;
  window?: number;
}

/** The `hops` workload: `calls` round trips on each of the four routes. */
export interface HopsArg {
  calls: number;
}

const adderOf = (worker: BenchWorkerHandle): Adder => ({
  add: (a, b) => worker.run(BenchWorker.functions.add, [a, b]),
});

export function serveTunnelSamplers(): void {
  const launcher = { argv: ['env'], nodePath: process.execPath };
  let workers: Promise<Record<Route, BenchWorkerHandle>> | undefined;
  const spawned = (): Promise<Record<Route, BenchWorkerHandle>> =>
    (workers ??= (async () => ({
      tcp: await BenchWorker.spawn({
        init: {},
        host: Hosts.command({ ...launcher, transport: 'tcp', connectHost: '127.0.0.1' }),
      }),
      tunnel: await BenchWorker.spawn({ init: {}, host: Hosts.command({ ...launcher, transport: 'tunnel' }) }),
    }))());
  let bare: Promise<BareRelay> | undefined;

  serveSamplers(
    {
      roundTrip: async (arg) => {
        const { route, calls } = arg as RouteArg;
        return { us: await sequentialLatency(adderOf((await spawned())[route]), calls)() };
      },
      inFlight: async (arg) => {
        const { route, calls, window = 256 } = arg as RouteArg;
        return { callsPerSecond: await windowedThroughput(adderOf((await spawned())[route]), calls, window)() };
      },
      // What the tunnel's hop adds to a round trip, beside what a bare relay's hop adds to a bare echo's.
      hops: async (arg) => {
        const { calls } = arg as HopsArg;
        const { tcp, tunnel } = await spawned();
        bare ??= startBareRelay();
        const floor = await bare;
        const direct = await sequentialLatency(adderOf(tcp), calls)();
        const tunnelled = await sequentialLatency(adderOf(tunnel), calls)();
        const { direct: echo, relayed } = await floor.sample(calls);
        return { tunnelAdded: tunnelled - direct, relayAdded: relayed - echo, direct, tunnelled, echo, relayed };
      },
    },
    async () => {
      await bare?.then((floor) => floor.close());
      if (workers === undefined) return;
      const { tcp, tunnel } = await workers;
      await Promise.allSettled([tcp.shutdown(), tunnel.shutdown()]);
    },
  );
}
