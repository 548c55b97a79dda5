import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh: an inspected worker (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('listens on the remote machine, on the ports inspectPortStart hands out there; Node’s line comes back with its name', async () => {
      const port = 41_000 + Math.floor(Math.random() * 8_000);
      const { result, stderr } = await runFixture<{ urls: string[]; hostName: string }>('remote/inspect.ts', {
        ssh: true,
        input: { port },
      });
      expect(result.hostName).toBe(`ssh:${sshTarget!.destination}`);
      expect(result.urls.map((url) => /^ws:\/\/127\.0\.0\.1:(\d+)\//.exec(url)?.[1])).toEqual([
        `${port}`,
        `${port + 1}`,
      ]);
      expect(stderr).toContain(`[far] Debugger listening on ws://127.0.0.1:${port}/`);
    });
  },
);
