import { z } from 'zod';
import type { Encryption } from './transport/encryption.js';

const MiB = 1024 * 1024;

// Strict: a misspelt field (in code or in COHORT_RPC_SETTINGS) must fail, not be silently dropped. Built on first
// use, not at load: most processes (every worker that runs with the defaults) never need it.
let settingsSchema: z.ZodType<ResolvedRpcSettings> | undefined;
function buildSettingsSchema(): z.ZodType<ResolvedRpcSettings> {
  const heartbeat = z.strictObject({
    intervalMs: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
  });
  return z.strictObject({
    maxMessageSize: z.number().int().positive(),
    handshakeTimeoutMs: z.number().int().positive(),
    heartbeat: z.union([heartbeat, z.literal(false)]),
    streamWindowBytes: z.number().int().positive(),
    encryption: z.enum(['auto', 'always', 'never']),
  });
}

/** Settings resolved with their defaults; what a connection actually runs with. */
export interface ResolvedRpcSettings {
  readonly maxMessageSize: number;
  readonly handshakeTimeoutMs: number;
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false;
  readonly streamWindowBytes: number;
  readonly encryption: Encryption;
}

/**
 * Tunables of a connection. Every field is optional; `COHORT_RPC_SETTINGS` (JSON, same shape) overrides what the
 * program passes, field by field, so an operator can loosen timeouts without a rebuild.
 */
export interface RpcSettings {
  /**
   * Largest frame payload, in bytes, either side will send or accept. A call whose message is bigger rejects with
   * `MESSAGE_TOO_BIG` and nothing is written; a peer announcing a bigger frame is disconnected before its body is
   * buffered.
   * @default 268435456 (256 MiB)
   */
  maxMessageSize?: number;
  /**
   * How long, in milliseconds, the peer has to complete the handshake (hello, authentication, menu).
   * @default 30000
   */
  handshakeTimeoutMs?: number;
  /**
   * Liveness: each side sends a heartbeat every `intervalMs`; if nothing at all arrives for `timeoutMs`, the
   * connection closes with the reason "no heartbeat received for …". `false` turns heartbeats off (Cohort uses that
   * for worker data connections, whose liveness is watched by a separate lifeline).
   * @default { intervalMs: 10000, timeoutMs: 30000 }
   * @example { heartbeat: { intervalMs: 100, timeoutMs: 500 } }
   */
  heartbeat?: { intervalMs?: number; timeoutMs?: number } | false;
  /**
   * Per-stream credit, in bytes: how much of a pipe, state-update or reverse-pipe stream may be in flight or
   * buffered at the consumer before the producer is paused. Bounds memory per stream; other traffic is unaffected.
   * @default 1048576 (1 MiB)
   */
  streamWindowBytes?: number;
  /**
   * Whether connections this side opens are encrypted and integrity-protected (TLS 1.3 keyed from the secret):
   * `'auto'` for TCP to any address but this machine's loopback, `'always'` (Unix sockets and loopback too),
   * `'never'`. The opening side decides; a server accepts either, except that `'always'` refuses plain clients and
   * `'never'` (or no secret) encrypted ones. Without a secret, `'auto'` does not encrypt and `'always'` is an error.
   * @default 'auto'
   */
  encryption?: Encryption;
}

// Frozen: resolveRpcSettings hands out this very object when nothing overrides it.
export const defaultRpcSettings: ResolvedRpcSettings = Object.freeze({
  maxMessageSize: 256 * MiB,
  handshakeTimeoutMs: 30_000,
  heartbeat: Object.freeze({ intervalMs: 10_000, timeoutMs: 30_000 }),
  streamWindowBytes: MiB,
  encryption: 'auto',
});

// Every connection of a worker to its master is opened with `{ heartbeat: false }` alone (core watches workers by
// their lifelines): valid by construction, so it skips the schema, which a new worker would otherwise build (about
// 2 ms) for this one check.
const withoutHeartbeat: ResolvedRpcSettings = Object.freeze({ ...defaultRpcSettings, heartbeat: false });
const onlyHeartbeatOff = (settings: RpcSettings): boolean =>
  settings.heartbeat === false &&
  Object.entries(settings).every(([key, value]) => value === undefined || (key === 'heartbeat' && value === false));

function merge(base: ResolvedRpcSettings, over: RpcSettings | undefined): ResolvedRpcSettings {
  if (over === undefined) return base;
  const { heartbeat, ...rest } = over;
  const merged = { ...base, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  if (heartbeat === false) merged.heartbeat = false;
  else if (typeof heartbeat !== 'object' || heartbeat === null) {
    // Not ours to fix up: left as given so validation names it.
    if (heartbeat !== undefined) merged.heartbeat = heartbeat as ResolvedRpcSettings['heartbeat'];
  } else {
    const baseHeartbeat = base.heartbeat === false ? defaultRpcSettings.heartbeat : base.heartbeat;
    merged.heartbeat = { ...(baseHeartbeat as object), ...heartbeat } as ResolvedRpcSettings['heartbeat'];
  }
  return merged as ResolvedRpcSettings;
}

function settingsFromEnv(): RpcSettings | undefined {
  const text = process.env['COHORT_RPC_SETTINGS'];
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`COHORT_RPC_SETTINGS is not valid JSON (${(error as Error).message}); unset it or fix it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const example = '{"handshakeTimeoutMs":60000}';
    throw new TypeError(`COHORT_RPC_SETTINGS must be a JSON object such as ${example}, got ${text.slice(0, 100)}`);
  }
  return parsed as RpcSettings;
}

/** Defaults, then the program's settings, then `COHORT_RPC_SETTINGS`; validated so a typo fails loudly. */
export function resolveRpcSettings(settings?: RpcSettings): ResolvedRpcSettings {
  const fromEnv = settingsFromEnv();
  if (fromEnv === undefined) {
    if (settings === undefined) return defaultRpcSettings;
    if (onlyHeartbeatOff(settings)) return withoutHeartbeat;
  }
  const resolved = merge(merge(defaultRpcSettings, settings), fromEnv);
  settingsSchema ??= buildSettingsSchema();
  // Checked once per connection: zod's compiled fast path would cost more to generate than it saves.
  const checked = settingsSchema.safeParse(resolved, { jitless: true });
  if (!checked.success) {
    const detail = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new TypeError(`invalid RPC settings (${detail}); check the settings you pass and COHORT_RPC_SETTINGS`);
  }
  return checked.data;
}
