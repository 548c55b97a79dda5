import { configDefaults, defineConfig } from 'vitest/config';

// COHORT_TEST_FAST=1 (`pnpm test:fast`; CI's Node 22 run) leaves out the slow files: the quick bench, the make-build
// runs, and the ssh example.
const slow = ['test/bench.test.ts', 'test/make-build.test.ts', 'test/remote-workers.test.ts'];

export default defineConfig({
  test: {
    name: 'examples',
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.COHORT_TEST_FAST === '1' ? slow : [])],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    passWithNoTests: true,
  },
});
