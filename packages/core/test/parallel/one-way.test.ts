import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';

interface Warning {
  name: string;
  code: string | undefined;
  message: string;
}

describe('a one-way function that throws in a worker', () => {
  it('reaches the spawner as a COHORT_ONE_WAY_FAILED warning naming the worker and the function, with the stack; the worker keeps serving', async () => {
    const { result } = await runFixture<{ warnings: Warning[]; calls: number; status: unknown }>('parallel/one-way.ts');
    const oneWay = result.warnings.filter((w) => w.code === 'COHORT_ONE_WAY_FAILED');
    expect(oneWay).toHaveLength(2);
    for (const [i, warning] of oneWay.entries()) {
      expect(warning.message).toContain('worker "fragile"');
      expect(warning.message).toContain('fragile/explode');
      expect(warning.message).toContain(`RangeError: one-way call ${i + 1} refuses`);
      // The stack, down to the function that threw.
      expect(warning.message).toMatch(/\n\s+at .*one-way\.ts:\d+/);
    }
    expect(result.calls).toBe(2);
    expect(result.status).toEqual({ code: 0, signal: null });
  });
});
