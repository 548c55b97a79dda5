import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { SPECIAL_NUMBERS_SHOWN } from '../support/special-numbers.js';

describe('-0, NaN and ±Infinity round-trip through every function kind', () => {
  it('rpc input and result, pipe items, state and updates, reverse pipe items and result: each arrives as sent (Object.is)', async () => {
    const { result } = await runFixture<{
      echoed: string[];
      seenByWorker: string[];
      negativeZero: string;
      items: string[];
      state: string;
      updates: string[];
      reverseItems: string[];
      reverseResult: string;
      status: unknown;
    }>('parallel/numbers.ts');
    expect(result).toEqual({
      // Master → worker (what the worker saw), and back.
      seenByWorker: SPECIAL_NUMBERS_SHOWN,
      echoed: SPECIAL_NUMBERS_SHOWN,
      negativeZero: '-0',
      items: SPECIAL_NUMBERS_SHOWN,
      state: '-0',
      updates: SPECIAL_NUMBERS_SHOWN,
      reverseItems: SPECIAL_NUMBERS_SHOWN,
      reverseResult: '-0',
      status: { code: 0, signal: null },
    });
  });
});
