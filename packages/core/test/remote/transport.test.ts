import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, Rpc, RpcError } from '@cohort/rpc';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parentOf } from '../support/processes.js';
import { startFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

interface Ready {
  secret: string;
  pids: number[];
  sshPids: number[];
  counterRef: { address: { host: string; port: number } };
  grandchildRef: { address: { path: string } };
}

const add = Rpc.rpc({ name: 'counter/add', input: z.number(), output: z.number() });

async function attempt(address: { host: string; port: number }, secret: string | undefined): Promise<unknown> {
  try {
    const connection = await Connection.connect({
      address,
      ...(secret === undefined ? {} : { secret }),
      settings: { handshakeTimeoutMs: 5000 },
    });
    try {
      return await connection.dispatch(add, 1);
    } finally {
      await connection.close();
    }
  } catch (error) {
    return error;
  }
}

/** `pid` and its ancestors up to (excluding) pid 1: on the remote side, the agent, sshd's session processes. */
function lineage(pid: number): number[] {
  const chain: number[] = [];
  for (let p = pid; p > 1 && chain.length < 10; p = parentOf(p)) chain.push(p);
  return chain;
}

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh transport (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('the secret is in no argv or environment on either side (ssh client, sshd, agent, workers); TCP without it is refused', async () => {
      const run = startFixture('remote/transport.ts', { ssh: true });
      try {
        const ready = await run.waitFor<Ready>('READY');
        expect(ready.sshPids).toHaveLength(1);
        const remote = ready.pids.flatMap(lineage);
        const everyone = [...new Set([run.pid, ...ready.sshPids, ...remote, ...run.processes()])];
        // The remote side: workers, their agent, and sshd's processes for the session.
        expect(remote.length).toBeGreaterThan(ready.pids.length + 1);
        for (const pid of everyone) {
          for (const file of ['cmdline', 'environ']) {
            let text: string;
            try {
              text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
            } catch {
              continue;
            }
            expect(text, `/proc/${pid}/${file}`).not.toContain(ready.secret);
          }
        }
        // The grandchild is local to its (remote) spawner: a Unix socket of that machine's own (an abstract name on
        // Linux, a file in a private directory elsewhere).
        expect(ready.grandchildRef.address.path).toMatch(/^(\0|.*\/)cohort-[^/]+\/[^/]+\.sock$/);

        const wrong = await attempt(ready.counterRef.address, 'not-the-secret');
        expect(wrong).toBeInstanceOf(RpcError);
        expect((wrong as RpcError).code).toMatch(/^(AUTH_FAILED|HANDSHAKE_FAILED)$/);
        const none = await attempt(ready.counterRef.address, undefined);
        expect(none).toBeInstanceOf(RpcError);
        expect((none as RpcError).code).toMatch(/^(AUTH_FAILED|HANDSHAKE_FAILED)$/);
      } finally {
        writeFileSync(join(run.dir, 'proceed'), '');
      }
      const end = await run.finish();
      expect(end.code).toBe(0);
      expect(end.stdout).toContain('RESULT {"stillServing":1,"children":["0/null"],"grandchildTotal":6}');
    });
  },
);
