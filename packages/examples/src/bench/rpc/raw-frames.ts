import type { Socket } from 'node:net';
import { Packr, RESERVE_START_SPACE } from 'msgpackr';

// The raw baseline's wire: a 4-byte big-endian length, then a msgpackr payload packed with the same options as
// @cohort/rpc's frame writer. Nothing else: no validation, no handshake, no flow control. It does use the two
// cheap tricks any careful hand-written protocol would (and Cohort does): the header is reserved inside msgpackr's
// buffer so a frame is one allocation, and the frames written in one tick go out in one corked write.

const packr = new Packr({ useRecords: false, useBigIntExtension: true });
const HEADER_BYTES = 4;
const RESERVE_HEADER = RESERVE_START_SPACE | HEADER_BYTES;

export const unpack = (payload: Buffer): unknown => packr.unpack(payload);

/** Writes frames to a socket, corking it until the end of the tick so a burst of frames is one syscall. */
export class FrameSender {
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  /** Returns `false` when the socket's buffer is full (wait for `drain` before sending much more). */
  send(message: unknown): boolean {
    const frame = packr.pack(message, RESERVE_HEADER);
    frame.writeUInt32BE(frame.length - HEADER_BYTES, 0);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    return this.socket.write(frame);
  }
}

/**
 * Splits a byte stream into frame payloads. Chunks are only kept until a whole frame is there, then joined once,
 * so a 16 MiB frame costs one copy, not one per chunk.
 */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being collected, once its header is in. */
  private expected = -1;

  constructor(private readonly onFrame: (payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < HEADER_BYTES) return;
    if (this.expected < 0) this.expected = this.joined().readUInt32BE(0);
    if (this.buffered < HEADER_BYTES + this.expected) return;
    const data = this.joined();
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = data.readUInt32BE(offset);
      const end = offset + HEADER_BYTES + length;
      if (end > data.length) break;
      this.onFrame(data.subarray(offset + HEADER_BYTES, end));
      offset = end;
    }
    const rest = data.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.expected = -1;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}
