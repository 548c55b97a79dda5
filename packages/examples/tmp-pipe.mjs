import { spawn } from 'node:child_process';
import { CohortClient } from './dist/bench/rpc/cohort-client.js';
const mode = process.argv[2] ?? 'count';
const rawPath = `/tmp/bp-raw-${process.pid}.sock`,
  cPath = `/tmp/bp-c-${process.pid}.sock`;
const prof = process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.PROF, '--cpu-prof-interval', '100'] : [];
const child = spawn(process.execPath, [...prof, 'dist/bench/rpc/server-main.js', rawPath, cPath], {
  env: { ...process.env, BENCH_SECRET: 's3cret' },
  stdio: ['pipe', 'pipe', 'inherit'],
});
await new Promise((r) => child.stdout.once('data', r));
const client = await CohortClient.connect({ path: cPath }, 's3cret');
for (let r = 0; r < Number(process.env.REPS ?? 5); r++) {
  const t = performance.now();
  if (mode === 'count') {
    const res = await client.count(1_000_000);
    console.log('pipe', (((1e6 / (performance.now() - t)) * 1000) / 1e6).toFixed(2), 'M items/s');
  } else {
    let issued = 0;
    const N = 50000;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (issued < N) {
          issued++;
          await client.add(1, 2);
        }
      }),
    );
    console.log('inflight', ((N / (performance.now() - t)) * 1000).toFixed(0), 'calls/s');
  }
}
await client.close();
child.stdin.end();
await new Promise((r) => child.once('exit', r));
