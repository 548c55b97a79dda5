import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

interface Who {
  label: string;
  index: number;
  calls: number;
  sameWorker: boolean;
  workerId: string;
  pid: number;
}

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh: a worker on another machine (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('runs every function kind over TCP, with worker and connection state; output comes back prefixed; all processes gone after', async () => {
      const { result, records, exits, stdout, stderr } = await runFixture<{
        added: number;
        countdown: number[];
        total: number;
        state: number;
        updateValues: number[];
        whoA: Who;
        logs: string[];
        info: { pid: number; cwd: string; env: string; execArgv: string[] };
        status: { code: number | null; signal: string | null };
        workerPid: number;
        ref: { pid: number; address: { host: string; port: number } };
        sshPids: number[];
        hostName: string;
        masterExecArgv: string[];
      }>('remote/functions.ts', { ssh: true });
      expect(result.hostName).toBe(`ssh:${sshTarget!.destination}`);
      expect(result.added).toBe(15);
      expect(result.countdown).toEqual([4, 3, 2, 1]);
      expect(result.total).toBe(1006);
      expect(result.state).toBe(116);
      expect(result.updateValues).toEqual([117, 118, 119]);
      expect(result.logs).toEqual(['a:hello', 'b:world']);
      expect(result.whoA).toMatchObject({ label: 'a', index: 2, calls: 1, sameWorker: true });
      // The handle's pid is the remote process's, which the remote side recorded itself; its parent is the agent,
      // not this master.
      expect(records.map((r) => r.pid)).toEqual([result.workerPid]);
      expect(result.info.pid).toBe(result.workerPid);
      expect(result.ref.pid).toBe(result.workerPid);
      expect(records[0]!.ppid).not.toBe(result.sshPids[0]);
      // It listens on TCP, on the interface the ssh connection arrived on, and that is where the master connected.
      expect(result.ref.address.host).toBe('127.0.0.1');
      expect(result.ref.address.port).toBeGreaterThan(0);
      // The remote environment: the login's plus the spawn's env; started in the master's launch directory, with
      // the master's loader flags.
      expect(result.info.env).toMatch(/remote-functions\.ts-/);
      // The master's own flags (the loader or source maps it runs with), as for a local worker.
      expect(result.info.execArgv).toEqual(result.masterExecArgv);
      expect(result.sshPids).toHaveLength(1);
      expect(stdout).toContain('[remote] remote says hi\n');
      expect(stderr).toContain('[remote] remote complains\n');
      expect(result.status).toEqual({ code: 0, signal: null });
      expect(exits.get(result.workerPid)).toBe(0);
    });
  },
);
