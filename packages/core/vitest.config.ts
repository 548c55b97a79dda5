import { configDefaults, defineConfig } from 'vitest/config';

// COHORT_TEST_FAST=1 (`pnpm test:fast`; CI's Node 22 run) leaves out the slow files: the ssh, Slurm and command hosts, the runs that
// wait out heartbeats, deaths and orphans, the chaos scenario, the reduce property test and the memory bounds
// (together ≈ 4 of the suite's ≈ 8 minutes). What is left still starts real workers, over every host-independent path.
const slow = [
  'test/remote/**',
  'test/slurm/hosts.test.ts',
  'test/command/**',
  'test/parallel/cleanup.test.ts',
  'test/parallel/heartbeat.test.ts',
  'test/parallel/sockets.test.ts',
  'test/scheduler/deaths.test.ts',
  'test/scheduler/chaos.test.ts',
  'test/mapreduce/reduce.test.ts',
  'test/mapreduce/cleanup.test.ts',
  'test/mapreduce/memory.test.ts',
];

export default defineConfig({
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.COHORT_TEST_FAST === '1' ? slow : [])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/compile-fixtures.ts'],
    passWithNoTests: true,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
