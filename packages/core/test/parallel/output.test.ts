import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { findNumberedLines } from '../support/output-lines.js';

const LINES = 20_000;

describe("a worker's output reaches its master in full, in order, however the worker ends", () => {
  it('20 000 lines (1.2 MB) printed in one call, shutdown() as soon as it returns: all of them, in order, before the master sees the exit', async () => {
    const { result, stdout, exits } = await runFixture<{ printed: number; status: unknown; pid: number }>(
      'parallel/output.ts',
      {
        args: ['shutdown', String(LINES)],
      },
    );
    expect(result.printed).toBe(LINES);
    expect(result.status).toEqual({ code: 0, signal: null });
    expect(findNumberedLines(stdout, 'printer')).toEqual({ count: LINES, firstWrong: null, afterResult: 0 });
    expect(exits.get(result.pid)).toBe(0);
  });

  it.each([
    ['exit', 'the same when the function calls process.exit(0) right after printing'],
    [
      'exit-after-early-log',
      'the same in a program that logged before startApp(): the stream console opened early is blocking too',
    ],
  ])('%s: %s', async (scenario) => {
    const { result, stdout, exits } = await runFixture<{
      error: { code?: string } | null;
      status: unknown;
      pid: number;
    }>('parallel/output.ts', {
      args: [scenario, String(LINES)],
    });
    // The call could not answer: its worker was gone.
    expect(result.error).not.toBeNull();
    expect(result.status).toEqual({ code: 0, signal: null });
    expect(findNumberedLines(stdout, 'printer')).toEqual({ count: LINES, firstWrong: null, afterResult: 0 });
    expect(exits.get(result.pid)).toBe(0);
  });
});
