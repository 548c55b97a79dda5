/**
 * The frames a spawner and its agent exchange over one byte stream (the launcher's stdin and stdout: ssh, srun,
 * `kubectl exec -i`, `docker exec -i`…). The agent (agent-source.ts) is plain JavaScript run by the remote `node`
 * with no Cohort installed for it, so this framing needs nothing but Buffers: a 9-byte header (u32 body length, u8
 * kind, u32 id: a worker's or a tunnel's), then the body — raw bytes for relayed streams, a u32 for credit, JSON for
 * everything else. Both files must agree on these numbers.
 *
 * Tunnels carry worker connections through this same stream when the spawner cannot reach a worker by TCP. Each
 * tunnel has its own flow control, in both directions: a side sends a tunnel's data only while it holds credit for
 * it (`TUNNEL_WINDOW_BYTES` to begin with), and the receiver returns credit once its consumer (the worker's socket
 * there, the RPC connection here) has taken the bytes. A stalled connection thus stops only its own sender, with at
 * most one window in flight, while the other tunnels and every control frame keep flowing.
 */
export const FRAME_HEADER_BYTES = 9;
/** Large enough for a bootstrap with a big `init` (the control channel's own limit is 64 MiB too). */
export const MAX_FRAME_BODY = 64 * 1024 * 1024;
/** The credit each side starts a tunnel with, per direction: the most one tunnel may have in flight. */
export const TUNNEL_WINDOW_BYTES = 1024 * 1024;

export const Kind = {
  /** Either way, ignored: its body is a newline, so that a launcher that holds output until a newline (srun without `-u`) passes every frame on. */
  pad: 0,
  // Spawner → agent.
  /** Body: {@link LaunchSpec}. */
  launch: 1,
  /** Bytes for the worker's control channel (its fd 3). */
  control: 2,
  /** Body: `{ signal }`. */
  kill: 3,
  heartbeat: 4,
  /** Id: a new tunnel's. Body: {@link TunnelOpenSpec}. */
  tunnelOpen: 5,
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
  /** Body: `{ why }`: the agent is ending its workers and itself (a signal, the spawner gone), sent first. */
  bye: 18,
  /** The tunnel reached the worker's socket. */
  tunnelOpened: 19,
  /** Body: `{ message }`: the tunnel could not reach the worker's socket (the tunnel is gone). */
  tunnelFailed: 20,
  // Either way.
  /** A tunnel's bytes (counted against the sender's credit). */
  tunnelData: 24,
  /** Body: u32, bytes of credit given back to the other side for this tunnel. */
  tunnelCredit: 25,
  /** The sender will send no more data on this tunnel (half-close). */
  tunnelEnd: 26,
  /** Body: `{ message }`: the tunnel is torn down (its socket failed, or its stream was destroyed). */
  tunnelReset: 27,
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

/** Where a tunnel goes on the agent's machine: the worker's listening socket. */
export interface TunnelOpenSpec {
  readonly address: { readonly path: string } | { readonly host: string; readonly port: number };
  /** The credit the agent starts with for sending this tunnel's bytes to the spawner. */
  readonly window: number;
}

/** The agent's first frame. */
export interface AgentHello {
  readonly pid: number;
  /** The address the ssh connection arrived on (from `SSH_CONNECTION`), if known. */
  readonly serverAddress: string | undefined;
  readonly node: string;
  readonly hostname: string;
  /** The machine's non-loopback IPv4 addresses (none inside a network namespace without interfaces). */
  readonly addresses: readonly string[];
  /**
   * This machine's address on its route to `AgentConfig.routeTo` (the spawner's address as the launcher knows it,
   * e.g. Slurm's `SLURM_SRUN_COMM_HOST`), when there is one: the interface the spawner is most likely to reach.
   */
  readonly routeAddress: string | undefined;
  /** Where tunnelled workers listen: `<socketBase>/<worker id>.sock` (an abstract name on Linux, else a private directory). */
  readonly socketBase: string;
  /** The Slurm job and step the agent runs in, when it runs in one. */
  readonly slurm:
    | { readonly jobId: string; readonly stepId: string | undefined; readonly node: string | undefined }
    | undefined;
}

/** The agent's own settings, its only command-line argument (no secret ever travels this way). */
export interface AgentConfig {
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number } | false;
  /** End every write with a newline (a pad frame): for launchers that hold output until one (srun without `-u`). */
  readonly lineFlush?: boolean;
  /** The variable naming the spawner's address on the agent's side, for `AgentHello.routeAddress` (e.g. `SLURM_SRUN_COMM_HOST`). */
  readonly routeToVariable?: string;
}

export function encodeFrame(kind: number, id: number, body: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  return Buffer.concat([header, body]);
}

/** A frame's header alone, for writers that send the body as its own buffer (no copy). */
export function frameHeader(kind: number, id: number, bodyLength: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(bodyLength, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  return header;
}

export function encodeJsonFrame(kind: number, id: number, value: unknown): Buffer {
  return encodeFrame(kind, id, Buffer.from(JSON.stringify(value)));
}

export function encodeCredit(bytes: number): Buffer {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(bytes, 0);
  return body;
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
