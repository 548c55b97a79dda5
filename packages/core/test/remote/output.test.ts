import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { findNumberedLines } from '../support/output-lines.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

const LINES = 20_000;

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh: a remote worker's output reaches its master in full (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('20 000 lines (1.2 MB) printed in one call, shutdown() as soon as it returns: all of them, in order, before the master sees the exit', async () => {
      const { result, stdout, exits } = await runFixture<{ printed: number; status: unknown; pid: number }>(
        'remote/output.ts',
        {
          args: ['shutdown', String(LINES)],
          ssh: true,
        },
      );
      expect(result.printed).toBe(LINES);
      expect(result.status).toEqual({ code: 0, signal: null });
      expect(findNumberedLines(stdout, 'remote-printer')).toEqual({ count: LINES, firstWrong: null, afterResult: 0 });
      expect(exits.get(result.pid)).toBe(0);
    });

    it('the same when the function calls process.exit(0) right after printing', async () => {
      const { result, stdout, exits } = await runFixture<{ error: unknown; status: unknown; pid: number }>(
        'remote/output.ts',
        {
          args: ['exit', String(LINES)],
          ssh: true,
        },
      );
      expect(result.error).not.toBeNull();
      expect(result.status).toEqual({ code: 0, signal: null });
      expect(findNumberedLines(stdout, 'remote-printer')).toEqual({ count: LINES, firstWrong: null, afterResult: 0 });
      expect(exits.get(result.pid)).toBe(0);
    });
  },
);
