// The bootstrap a worker reads from its spawner: every field checked, the first wrong one named; and a worker
// handed a malformed one exits 1 saying why, before it runs anything of the app's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '@cohort/rpc/internal';
import { describe, expect, it } from 'vitest';
import { checkBootstrap, type Bootstrap } from '../../src/process/bootstrap.js';
import { CONTROL_FD, WORKER_MARKER } from '../../src/process/worker-launch.js';
import { expectAllGone } from '../support/processes.js';

const valid: Bootstrap = {
  v: 1,
  type: 'squarer',
  shape: {
    functions: {
      square: { kind: 'rpc', version: 0, schemas: { input: '0123456789abcdef', output: 'fedcba9876543210' } },
    },
    init: { workerInit: 'aaaaaaaaaaaaaaaa', connectionInit: 'bbbbbbbbbbbbbbbb' },
  },
  id: 'w-1',
  name: 'squarer-0',
  secret: 'ab'.repeat(32),
  init: { anything: [1, 2n, new Uint8Array([3])] },
  listen: { path: '/tmp/cohort-x/w-1.sock' },
  shutdownOn: 'heartbeat-lost',
  lifeline: 'main',
  connectionTimeoutMs: 30_000,
  socketSpace: '/tmp/cohort-x',
  rootPid: 4242,
};

const without = (field: keyof Bootstrap): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...valid };
  delete copy[field];
  return copy;
};

describe('checkBootstrap', () => {
  it('accepts what a spawner sends: a socket path or a host and port, optional fields present or not', () => {
    expect(checkBootstrap(valid)).toBe(valid);
    const remote: Record<string, unknown> = { ...without('socketSpace'), listen: { host: '0.0.0.0', port: 0 } };
    delete remote['rootPid'];
    expect(checkBootstrap(remote)).toBe(remote);
    expect(checkBootstrap({ ...valid, rpc: { heartbeat: false } })).not.toBeTypeOf('string');
    expect(checkBootstrap(without('init'))).not.toBeTypeOf('string');
  });

  it('names a missing field', () => {
    for (const field of ['v', 'type', 'shape', 'id', 'name', 'secret', 'listen', 'shutdownOn', 'lifeline'] as const) {
      expect(checkBootstrap(without(field))).toBe(`no "${field}"`);
    }
    expect(checkBootstrap(without('connectionTimeoutMs'))).toBe('no "connectionTimeoutMs"');
  });

  it('names the first malformed field, and a spawner speaking another version', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, v: 2 }, 'version 2, expected 1'],
      [{ ...valid, type: 7 }, 'malformed "type"'],
      [{ ...valid, listen: { host: 'h' } }, 'malformed "listen"'],
      [{ ...valid, listen: { host: 'h', port: 1.5 } }, 'malformed "listen"'],
      [{ ...valid, shutdownOn: 'never' }, 'malformed "shutdownOn"'],
      [{ ...valid, lifeline: 'elsewhere' }, 'malformed "lifeline"'],
      [{ ...valid, connectionTimeoutMs: Number.NaN }, 'malformed "connectionTimeoutMs"'],
      [{ ...valid, rpc: [] }, 'malformed "rpc"'],
      [{ ...valid, rootPid: '1' }, 'malformed "rootPid"'],
      [{ ...valid, shape: { functions: {}, init: { workerInit: 1 } } }, 'malformed "shape"'],
      [
        { ...valid, shape: { functions: { f: { kind: 'rpc', version: '1', schemas: {} } }, init: {} } },
        'malformed "shape"',
      ],
      [{ ...valid, shape: { functions: [], init: {} } }, 'malformed "shape"'],
    ];
    for (const [raw, why] of cases) expect(checkBootstrap(raw)).toBe(why);
    expect(checkBootstrap(null)).toBe('not a map');
    expect(checkBootstrap([valid])).toBe('not a map');
  });
});

/**
 * A worker run from the compiled fixture, handed `frame` on its control channel by `write` (at once, in parts, late),
 * expected to exit 1 naming the malformed field: whichever way the bytes came, they were read whole and in order.
 */
async function malformedBootstrapRun(write: (control: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), '../parallel/fixtures/compiled.mjs');
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, [WORKER_MARKER]: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  try {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    await write(child.stdio[CONTROL_FD] as NodeJS.WritableStream);
    const [code] = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain(
      'cohort worker: no valid bootstrap from the spawner (malformed bootstrap: malformed "lifeline"); exiting',
    );
  } finally {
    child.kill('SIGKILL');
    await expectAllGone([child.pid!]);
  }
}

const malformed = (init: unknown = valid.init): Buffer =>
  encodeFrame({ ...valid, init, lifeline: 'elsewhere' }, 64 * 1024 * 1024);

describe('a worker handed a malformed bootstrap', () => {
  it('exits 1 and says what was wrong, without serving', async () => {
    await malformedBootstrapRun(async (control) => {
      control.write(malformed());
    });
  });

  // The worker reads what has arrived when it asks, then waits for the rest on the stream: these take each way.
  it('reads it the same when it comes after the worker asked, or in two parts a second apart', async () => {
    await malformedBootstrapRun(async (control) => {
      await sleep(1500);
      control.write(malformed());
    });
    await malformedBootstrapRun(async (control) => {
      const frame = malformed();
      control.write(frame.subarray(0, 20));
      await sleep(1500);
      control.write(frame.subarray(20));
    });
  });

  it('reads it the same when it is larger than the socket holds (an init of 4 MiB)', async () => {
    await malformedBootstrapRun(async (control) => {
      control.write(malformed(new Uint8Array(4 * 1024 * 1024).fill(7)));
    });
  });
});
