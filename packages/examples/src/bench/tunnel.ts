import { compare, measureReadings, metric, type BenchContext, type BenchGroup, type Metric } from './harness.js';
import { startSamplerProcess, type SamplerProcess } from './sampler-process.js';
import type { HopsArg, RouteArg } from './tunnel/samplers.js';
import { benchScript } from './script-url.js';

// Worker connections through the tunnel (transport 'tunnel': multiplexed in the launcher's stdin/stdout, with flow
// control per connection) against direct TCP, on the same machine, through the same launcher and agent.

const GROUP = 'tunnel';
const DIRECT = "direct TCP (transport 'tcp')";
const BARE_RELAY = 'a bare Node relay, added to a bare echo';

const FULL = {
  roundTrip: { calls: 100, warmup: 20, repetitions: 51 },
  inFlight: { calls: 20_000, window: 256, warmup: 2, repetitions: 11 },
  hops: { calls: 100, warmup: 10, repetitions: 31 },
};
const QUICK = {
  roundTrip: { calls: 100, warmup: 5, repetitions: 11 },
  inFlight: { calls: 5_000, window: 256, warmup: 1, repetitions: 3 },
  hops: { calls: 100, warmup: 2, repetitions: 5 },
};

async function measureAll(context: BenchContext, driver: SamplerProcess): Promise<Metric[]> {
  const plan = context.quick ? QUICK : FULL;
  context.progress('tunnel: sequential round trips, tunnel against direct TCP');
  const trip = (route: RouteArg['route']): RouteArg => ({ route, calls: plan.roundTrip.calls });
  const trips = await compare({
    warmup: plan.roundTrip.warmup,
    repetitions: plan.roundTrip.repetitions,
    baseline: driver.sampler('roundTrip', 'us', trip('tcp')),
    cohort: driver.sampler('roundTrip', 'us', trip('tunnel')),
  });
  const { inFlight } = plan;
  context.progress(`tunnel: ${inFlight.calls} calls, ${inFlight.window} in flight, tunnel against direct TCP`);
  const busy = (route: RouteArg['route']): RouteArg => ({ route, calls: inFlight.calls, window: inFlight.window });
  const throughput = await compare({
    warmup: inFlight.warmup,
    repetitions: inFlight.repetitions,
    baseline: driver.sampler('inFlight', 'callsPerSecond', busy('tcp')),
    cohort: driver.sampler('inFlight', 'callsPerSecond', busy('tunnel')),
  });
  context.progress('tunnel: what the hop adds to a round trip, tunnel against a bare relay');
  const hopsArg: HopsArg = { calls: plan.hops.calls };
  const hops = await measureReadings(driver.readings('hops', hopsArg), plan.hops.warmup, plan.hops.repetitions);
  return [
    metric({
      group: GROUP,
      name: "round trip through the tunnel (transport 'tunnel')",
      unit: 'µs',
      higherIsBetter: false,
      // The target, ≥ 0.7× direct, as a time: at most 1/0.7 of direct's.
      target: { kind: 'ratio', limit: 1.43 },
      cohort: trips.cohort,
      baseline: { name: DIRECT, summary: trips.baseline },
    }),
    metric({
      group: GROUP,
      name: `${inFlight.window} calls in flight through the tunnel`,
      unit: 'calls/s',
      higherIsBetter: true,
      target: { kind: 'ratio', limit: 0.7 },
      cohort: throughput.cohort,
      baseline: { name: DIRECT, summary: throughput.baseline },
    }),
    metric({
      group: GROUP,
      name: 'µs the tunnel adds to a round trip, against a bare relay',
      unit: 'µs',
      higherIsBetter: false,
      target: { kind: 'ratio', limit: 1.25 },
      cohort: hops('tunnelAdded'),
      baseline: { name: BARE_RELAY, summary: hops('relayAdded') },
    }),
  ];
}

export const tunnelGroup: BenchGroup = {
  name: GROUP,
  title: "worker connections through the launcher's stdio (transport 'tunnel') vs direct TCP, same machine",
  async run(context) {
    context.progress('tunnel: starting the Cohort master process');
    const driver = await startSamplerProcess(benchScript('./tunnel/entry', import.meta.url));
    try {
      return await measureAll(context, driver);
    } finally {
      await driver.stop();
    }
  },
};
