// Settings: the defaults of the spec, COHORT_RPC_SETTINGS overriding the program field by field, and invalid
// settings failing loudly with a TypeError that names the field.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connection, Rpc, Server, defaultRpcSettings, resolveRpcSettings, type RpcSettings } from '../src/index.js';
import { echo } from './fixtures/protocol.js';
import { rejection, useHarness } from './helpers.js';

const h = useHarness();
const MiB = 1024 * 1024;
const ENV = 'COHORT_RPC_SETTINGS';

let saved: string | undefined;
beforeEach(() => {
  saved = process.env[ENV];
  delete process.env[ENV];
});
afterEach(() => {
  if (saved === undefined) delete process.env[ENV];
  else process.env[ENV] = saved;
});

describe('defaults', () => {
  it('are the ones the spec promises', () => {
    expect(defaultRpcSettings).toEqual({
      maxMessageSize: 256 * MiB,
      handshakeTimeoutMs: 30_000,
      heartbeat: { intervalMs: 10_000, timeoutMs: 30_000 },
      streamWindowBytes: MiB,
      encryption: 'auto',
    });
    expect(resolveRpcSettings()).toEqual(defaultRpcSettings);
    expect(resolveRpcSettings({})).toEqual(defaultRpcSettings);
  });

  it('cannot be changed through what resolveRpcSettings returns', () => {
    // Without overrides it returns the defaults themselves, unchecked, so no caller may alter them for the next.
    const resolved = resolveRpcSettings();
    expect(() => {
      (resolved as { maxMessageSize: number }).maxMessageSize = 1;
    }).toThrow(TypeError);
    expect(() => {
      (resolved.heartbeat as { intervalMs: number }).intervalMs = 1;
    }).toThrow(TypeError);
    expect(resolveRpcSettings().maxMessageSize).toBe(256 * MiB);
  });

  it('with heartbeats turned off and nothing else (every worker connection), are the defaults, frozen', () => {
    const resolved = resolveRpcSettings({ heartbeat: false, encryption: undefined });
    expect(resolved).toEqual({ ...defaultRpcSettings, heartbeat: false });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolveRpcSettings({ heartbeat: false })).toBe(resolved);
    // Anything beside it is checked as before.
    expect(() => resolveRpcSettings({ heartbeat: false, maxMessageSize: -1 })).toThrow(/maxMessageSize/);
  });

  it('fill in whatever the program leaves out, inside heartbeat too', () => {
    expect(resolveRpcSettings({ maxMessageSize: 1000, heartbeat: { intervalMs: 100 } })).toEqual({
      ...defaultRpcSettings,
      maxMessageSize: 1000,
      heartbeat: { intervalMs: 100, timeoutMs: 30_000 },
    });
    expect(resolveRpcSettings({ heartbeat: false }).heartbeat).toBe(false);
    expect(resolveRpcSettings({ handshakeTimeoutMs: undefined }).handshakeTimeoutMs).toBe(30_000);
  });
});

describe('COHORT_RPC_SETTINGS', () => {
  it('overrides the program field by field', () => {
    process.env[ENV] = JSON.stringify({ handshakeTimeoutMs: 1234, heartbeat: { timeoutMs: 999 } });
    expect(resolveRpcSettings({ handshakeTimeoutMs: 5, maxMessageSize: 2048, heartbeat: { intervalMs: 100 } })).toEqual(
      {
        ...defaultRpcSettings,
        maxMessageSize: 2048,
        handshakeTimeoutMs: 1234,
        heartbeat: { intervalMs: 100, timeoutMs: 999 },
      },
    );
  });

  it('can turn heartbeats off, or back on over a program that turned them off', () => {
    process.env[ENV] = '{"heartbeat": false}';
    expect(resolveRpcSettings({ heartbeat: { intervalMs: 5 } }).heartbeat).toBe(false);
    process.env[ENV] = '{"heartbeat": {"intervalMs": 7}}';
    expect(resolveRpcSettings({ heartbeat: false }).heartbeat).toEqual({ intervalMs: 7, timeoutMs: 30_000 });
  });

  it('an empty value is ignored', () => {
    process.env[ENV] = '  ';
    expect(resolveRpcSettings()).toEqual(defaultRpcSettings);
  });

  it('applies to real connections: a limit set only in the environment is enforced', async () => {
    process.env[ENV] = JSON.stringify({ maxMessageSize: 1024 });
    const { client } = await h.pair('unix', { server: { implementations: [Rpc.implement(echo, (b) => b)] } });
    expect(await rejection(client.dispatch(echo, new Uint8Array(2000)))).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
    expect(await client.dispatch(echo, new Uint8Array(100))).toHaveLength(100);
  });

  it('applies to real connections: a handshake timeout set only in the environment is used', async () => {
    process.env[ENV] = JSON.stringify({ handshakeTimeoutMs: 150 });
    const address = await h.rawServer('tcp', () => undefined);
    const started = performance.now();
    const error = await rejection(h.connect({ address, settings: { handshakeTimeoutMs: 60_000 } }));
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect(error.message).toContain('150 ms');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('invalid JSON is a TypeError that names the variable', () => {
    process.env[ENV] = '{maxMessageSize: 1}';
    expect(() => resolveRpcSettings()).toThrow(TypeError);
    expect(() => resolveRpcSettings()).toThrow(/COHORT_RPC_SETTINGS is not valid JSON/);
  });

  it.each(['5', '"text"', '[1]', 'null'])('JSON that is not an object (%s) is a TypeError', (text) => {
    process.env[ENV] = text;
    expect(() => resolveRpcSettings()).toThrow(TypeError);
    expect(() => resolveRpcSettings()).toThrow(/COHORT_RPC_SETTINGS/);
  });

  it('an invalid value is a TypeError', () => {
    process.env[ENV] = '{"heartbeat": {"timeoutMs": -1}}';
    expect(() => resolveRpcSettings()).toThrow(/heartbeat\.timeoutMs/);
    process.env[ENV] = '{"streamWindowBytes": 0}';
    expect(() => resolveRpcSettings({ heartbeat: false })).toThrow(/streamWindowBytes/);
  });
});

describe('invalid settings', () => {
  const bad: [string, unknown, RegExp][] = [
    ['a negative size', { maxMessageSize: -1 }, /maxMessageSize/],
    ['a fractional size', { maxMessageSize: 1.5 }, /maxMessageSize/],
    ['a size as text', { maxMessageSize: '1MB' }, /maxMessageSize/],
    ['a zero timeout', { handshakeTimeoutMs: 0 }, /handshakeTimeoutMs/],
    ['a zero heartbeat interval', { heartbeat: { intervalMs: 0 } }, /heartbeat/],
    ['heartbeat: true', { heartbeat: true }, /heartbeat/],
    ['a zero window', { streamWindowBytes: 0 }, /streamWindowBytes/],
    ['a misspelt field', { maxMesageSize: 1024 }, /maxMesageSize/],
    ['a misspelt heartbeat field', { heartbeat: { intervalMS: 100 } }, /intervalMS/],
  ];

  it.each(bad)('%s is a TypeError naming the field', (_what, settings, field) => {
    expect(() => resolveRpcSettings(settings as RpcSettings)).toThrow(TypeError);
    expect(() => resolveRpcSettings(settings as RpcSettings)).toThrow(field);
    expect(() => resolveRpcSettings(settings as RpcSettings)).toThrow(/invalid RPC settings/);
  });

  it('Server.listen and Connection.connect refuse them up front', async () => {
    await expect(
      Server.listen({ address: { host: '127.0.0.1', port: 0 }, implementations: [], settings: { maxMessageSize: -5 } }),
    ).rejects.toThrow(TypeError);
    const server = await h.server('tcp', { implementations: [] });
    const error = await rejection(
      Connection.connect({ address: server.address, settings: { heartbeat: { timeoutMs: 0 } } }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('heartbeat.timeoutMs');
  });
});
