/**
 * The frames a spawner and its remote agent exchange over one byte stream (ssh's stdin and stdout). The agent
 * (agent-source.ts) is plain JavaScript run by the remote `node` with no Cohort installed for it, so this framing
 * needs nothing but Buffers: a 9-byte header (u32 body length, u8 kind, u32 worker id), then the body — raw bytes
 * for relayed streams, JSON for everything else. Both files must agree on these numbers.
 */
export const FRAME_HEADER_BYTES = 9;
/** Large enough for a bootstrap with a big `init` (the control channel's own limit is 64 MiB too). */
export const MAX_FRAME_BODY = 64 * 1024 * 1024;

export const Kind = {
  // Spawner → agent.
  /** Body: {@link LaunchSpec}. */
  launch: 1,
  /** Bytes for the worker's control channel (its fd 3). */
  control: 2,
  /** Body: `{ signal }`. */
  kill: 3,
  heartbeat: 4,
  // Agent → spawner.
  /** Body: {@link AgentHello}; the first frame, once the agent runs. */
  hello: 10,
  /** Body: `{ pid }`. */
  launched: 11,
  /** Body: `{ message }`. */
  launchFailed: 12,
  /** Bytes the worker wrote on its control channel. */
  controlOut: 13,
  stdout: 14,
  stderr: 15,
  /** Body: `{ code, signal }`, once the worker has exited and its output is flushed. */
  exit: 16,
  agentHeartbeat: 17,
} as const;

/** What the spawner asks the agent to start: the same program, on that machine. */
export interface LaunchSpec {
  readonly execArgv: readonly string[];
  readonly entry: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to the agent's own environment (the remote login's). */
  readonly env: Readonly<Record<string, string>>;
  /** Whether to relay the worker's stdout at all. */
  readonly stdout: 'pipe' | 'ignore';
  /** The worker outlives the spawner: the agent does not end it when the spawner is gone. */
  readonly detached: boolean;
}

/** The agent's first frame. */
export interface AgentHello {
  readonly pid: number;
  /** The address the ssh connection arrived on (from `SSH_CONNECTION`), if known. */
  readonly serverAddress: string | undefined;
  readonly node: string;
}

/** The agent's own settings, its only command-line argument (no secret ever travels this way). */
export interface AgentConfig {
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false;
}

export function encodeFrame(kind: number, id: number, body: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  return Buffer.concat([header, body]);
}

export function encodeJsonFrame(kind: number, id: number, value: unknown): Buffer {
  return encodeFrame(kind, id, Buffer.from(JSON.stringify(value)));
}

export interface Frame {
  readonly kind: number;
  readonly id: number;
  readonly body: Buffer;
}

/** Splits a byte stream into frames; throws on a frame over the size limit (the stream is then corrupt). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= FRAME_HEADER_BYTES) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_FRAME_BODY) throw new Error(`frame of ${length} bytes is over the ${MAX_FRAME_BODY}-byte limit`);
      if (this.buffered.length < FRAME_HEADER_BYTES + length) break;
      frames.push({
        kind: this.buffered.readUInt8(4),
        id: this.buffered.readUInt32BE(5),
        body: this.buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
      });
      this.buffered = this.buffered.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }
}
