// Remote traffic is private: a relay between a master and its worker (which listens on TCP at a non-loopback address
// of this machine, reached over ssh or as a local child) records the wire and flips a bit. No call can be read there,
// and the altered stream closes the connection on both sides with a reason that says so; the worker keeps serving
// its other connections and nothing is left behind.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFixture } from '../support/fixture-runner.js';
import { nonLoopbackAddress, startRelay } from '../support/relay.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

const MARKER = 'MARKER-5d2a8e-private-call';
const ip = nonLoopbackAddress();
const noIp = 'this machine has no non-loopback IPv4 address to reach workers at';

interface Ready {
  ref: { address: { host: string; port: number } };
  encrypted: boolean;
  workerSeesEncrypted: boolean;
}

interface Result {
  tampered: { name: string; code?: string; message: string } | null;
  closed: { by: string; reason: string; code?: string };
  after: string;
  encryptedWhen: Record<string, boolean>;
  workerClosed: { label: string; by: string; reason: string; code?: string }[];
}

const modes = [
  { mode: 'local-tcp', skip: ip === undefined ? noIp : undefined },
  { mode: 'ssh', skip: ip === undefined ? noIp : sshTarget === undefined ? skipReason : undefined },
] as const;

describe.each(modes)('a worker reached over TCP at a non-loopback address ($mode)', ({ mode, skip }) => {
  it.skipIf(skip !== undefined)(
    `is spoken to over TLS: a relay in the middle reads no call, and a flipped bit closes both ends${skip === undefined ? '' : ` (skipped: ${skip})`}`,
    async () => {
      const run = startFixture('remote/privacy.ts', { ssh: mode === 'ssh', input: { mode, ip } });
      const relays: Awaited<ReturnType<typeof startRelay>>[] = [];
      try {
        const ready = await run.waitFor<Ready>('READY');
        expect(ready.ref.address.host).toBe(ip);
        expect([ready.encrypted, ready.workerSeesEncrypted]).toEqual([true, true]);

        const relay = await startRelay(ip!, ready.ref.address);
        relays.push(relay);
        // Written whole, then renamed: the fixture reads it as soon as the name exists, and a busy machine can pause
        // this process between creating a file and writing it.
        writeFileSync(join(run.dir, 'relay.json.tmp'), JSON.stringify(relay.address));
        renameSync(join(run.dir, 'relay.json.tmp'), join(run.dir, 'relay.json'));
        const called = await run.waitFor<{ answer: string; encrypted: boolean }>('CALLED');
        expect(called).toEqual({ answer: `echo:${MARKER}`, encrypted: true });
        const wire = relay.bytes('up').toString('latin1') + relay.bytes('down').toString('latin1');
        expect(wire.length).toBeGreaterThan(500);
        expect(wire).not.toContain(MARKER);
        expect(wire).not.toContain('vault/echo');

        relay.flipNext('up');
        writeFileSync(join(run.dir, 'tamper'), '');
        const end = await run.finish();
        expect(end.code, end.stderr).toBe(0);
        const result = JSON.parse(
          end.stdout
            .split('\n')
            .find((line) => line.startsWith('RESULT '))!
            .slice('RESULT '.length),
        ) as Result;
        // The master: the call fails, and the connection says the worker found the stream altered.
        expect(result.tampered).toMatchObject({ name: 'RpcError', code: 'CONNECTION_CLOSED' });
        expect(result.tampered!.message).toContain(
          'the peer found the encrypted stream altered on its way and closed it (TLS alert: bad record mac)',
        );
        expect(result.closed).toMatchObject({ by: 'remote', code: 'PROTOCOL' });
        // The worker: it found the altered record itself, and closed that connection.
        const workerSide = result.workerClosed.find((entry) => entry.label === 'through the relay');
        expect(workerSide).toMatchObject({ by: 'local', code: 'PROTOCOL' });
        expect(workerSide!.reason).toContain(
          'the encrypted stream failed its integrity check, its bytes were altered on the way',
        );
        expect(result.after).toBe('echo:still serving');
        expect(result.encryptedWhen).toEqual({ loopback: false, never: false, 'always on loopback': true });
        expect(relay.openSockets()).toBe(0);
      } finally {
        for (const relay of relays) await relay.close();
      }
    },
  );
});
