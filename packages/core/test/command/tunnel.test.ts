// Hosts.command through a real launcher that isolates its workers: `unshare --net` runs the agent and its workers in
// a network namespace of their own, with no route to this machine's, so that only the tunnel through the
// launcher's stdin/stdout can carry their calls.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runFixture, startFixture } from '../support/fixture-runner.js';
import { waitGone } from '../support/processes.js';

/** Why no network namespace can be made here (not root, no unshare, a container without CAP_SYS_ADMIN), if so. */
function namespaceUnavailable(): string | undefined {
  const probe = spawnSync('unshare', ['--net', '--', process.execPath, '-e', '0'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error !== undefined) return `unshare did not run: ${probe.error.message}`;
  if (probe.status !== 0) return `\`unshare --net\` failed (exit code ${probe.status}): ${probe.stderr.trim()}`;
  return undefined;
}

const unavailable = namespaceUnavailable();
if (unavailable !== undefined) {
  console.warn(
    `\n!! WARNING: the Hosts.command tunnel tests are SKIPPED: ${unavailable}\n!! They need to make network namespaces ` +
      '(`unshare --net`: root, or a user namespace with CAP_SYS_ADMIN)\n',
  );
}

interface Failure {
  code: string;
  message: string;
}

interface NetnsResult {
  network: { interfaces: string[]; dial: string };
  added: number;
  countdown: number[];
  total: number;
  echoedIntact: boolean;
  inFlight: number;
  othersMs: number;
  blockedMs: number;
  stalledIntact: boolean;
  refAddress: Record<string, string>;
  refAdded: number;
  fromOtherWorker: Failure | undefined;
  tcpErrors: Failure[];
  detached: Failure | undefined;
  autoAddress: Record<string, string>;
  autoAdded: number;
  autoTcpAdded: number;
  autoTcpAddress: Record<string, string>;
  statuses: { code: number | null; signal: string | null }[];
}

describe.skipIf(unavailable !== undefined)(
  'Hosts.command: workers in a network namespace with no route to the master',
  () => {
    it('every kind of call goes through the tunnel; TCP fails, saying why; a WorkerRef works from the master only', {
      timeout: 120_000,
    }, async () => {
      const { result, records, exits } = await runFixture<NetnsResult>('command/netns.ts', { timeoutMs: 100_000 });
      // The workers' side has no interface, and cannot reach the master's TCP server: the calls came another way.
      expect(result.network.interfaces).toEqual([]);
      expect(result.network.dial).toMatch(/^(ENETUNREACH|ECONNREFUSED|timeout)$/);
      expect(result).toMatchObject({
        added: 5,
        countdown: [4, 3, 2, 1],
        total: 106,
        echoedIntact: true,
        inFlight: 256,
        blockedMs: 3000,
        stalledIntact: true,
      });
      // A connection whose worker is blocked with 8 MiB on its way did not hold up 100 calls on another: they ended
      // well before the 3 s block did (generous bound: a loaded machine).
      expect(result.othersMs).toBeLessThan(2500);
      expect(result.refAddress).toMatchObject({ tunnel: expect.any(String), via: 'command:unshare --net --' });
      expect(result.refAdded).toBe(271);
      expect(result.fromOtherWorker?.code).toBe('remote CohortError');
      expect(result.fromOtherWorker?.message).toMatch(
        /worker "counter" runs behind a tunnel .* only its spawner, process \d+@\S+, can reach it/,
      );
      expect(result.tcpErrors).toHaveLength(2);
      expect(result.tcpErrors[0]).toMatchObject({ code: 'SPAWN_FAILED' });
      expect(result.tcpErrors[0]!.message).toMatch(
        /no address of its machine is known to connect to by TCP.*use transport 'tunnel'/,
      );
      expect(result.tcpErrors[1]).toMatchObject({ code: 'SPAWN_FAILED' });
      expect(result.tcpErrors[1]!.message).toMatch(
        /cannot reach it by TCP at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED.*Use transport 'tunnel'/,
      );
      expect(result.detached).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(result.detached!.message).toMatch(
        /shutdownOn 'shutdown-called' is not possible here: with transport 'tunnel'/,
      );
      // 'auto': the tunnel when there is no address, and after a failed TCP attempt when there is one.
      expect(result.autoAddress).toHaveProperty('tunnel');
      expect(result.autoTcpAddress).toHaveProperty('tunnel');
      expect([result.autoAdded, result.autoTcpAdded]).toEqual([2, 3]);
      expect(result.statuses).toEqual(Array.from({ length: 5 }, () => ({ code: 0, signal: null })));
      // The two workers the TCP spawns started were killed when their spawns failed; the five others exited cleanly.
      expect(records.length).toBe(7);
      expect([...exits.values()].filter((code) => code === 0)).toHaveLength(5);
    });

    it('master SIGKILLed while its tunnelled workers are busy (one waiting, one blocking its loop): agents and workers gone', {
      timeout: 60_000,
    }, async () => {
      const run = startFixture('command/busy.ts');
      const ready = await run.guard(() => run.waitFor<{ pids: number[] }>('READY'));
      const agents = [...new Set(run.records().map((r) => r.ppid))];
      expect(agents).toHaveLength(1);
      const began = Date.now();
      process.kill(run.pid, 'SIGKILL');
      const survivors = await waitGone([...ready.pids, ...agents], 10_000);
      const goneMs = Date.now() - began;
      const end = await run.finish();
      expect(survivors).toEqual([]);
      expect(end.signal).toBe('SIGKILL');
      // stdin's end-of-file reaches the agent at once; the lifeline ends a blocked worker within 500 ms.
      expect(goneMs).toBeLessThan(5000);
    });
  },
);
