// The rpc bench's child process: serves the raw baseline and @cohort/rpc side by side, on two Unix sockets, and
// @cohort/rpc once more on TCP loopback for the encryption metrics (its port printed as `tcp-port <n>`).
//
// Both servers live in ONE process on purpose. On a small machine the round-trip latency between two processes
// depends heavily on where the scheduler puts them (same core: a cheap context switch; different cores: a
// cross-core wake-up, which on a VM can cost tens of µs). With one server process, the baseline and Cohort always
// talk between the same two processes, so that placement lottery hits both alike.
import { serveUntilStdinCloses } from '../server-side.js';
import { listenCohort } from './cohort-server.js';
import { listenRaw } from './raw-server.js';

const [rawPath, cohortPath] = process.argv.slice(2);
const secret = process.env['BENCH_SECRET'];
if (rawPath === undefined || cohortPath === undefined || secret === undefined) {
  throw new Error('usage: BENCH_SECRET=… server-main.ts <raw socket path> <cohort socket path>');
}
const cohortTcp = await listenCohort({ host: '127.0.0.1', port: 0 }, secret);
const closers = [await listenRaw(rawPath), (await listenCohort({ path: cohortPath }, secret)).close, cohortTcp.close];
process.stdout.write(`tcp-port ${'port' in cohortTcp.address ? cohortTcp.address.port : 0}\n`);
serveUntilStdinCloses(async () => {
  await Promise.all(closers.map((close) => close()));
});
