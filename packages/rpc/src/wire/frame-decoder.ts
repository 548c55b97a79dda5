import { RpcError } from '../errors.js';

const HEADER_BYTES = 4;

/**
 * Splits a byte stream into frames: a 4-byte big-endian payload length, then the payload. A frame that fits in
 * the chunk it arrived in is handed out as a view of that chunk (no copy); a frame spread over chunks is copied
 * once into a buffer sized from its header. The size limit is checked on the header, before any body is buffered.
 */
export class FrameDecoder {
  private head: Buffer | undefined;
  private body: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly maxMessageSize: number,
    private readonly onFrame: (payload: Buffer) => void,
  ) {}

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return (this.head?.length ?? 0) + this.filled;
  }

  /** Throws `RpcError` (`MESSAGE_TOO_BIG` or `PROTOCOL`) on a bad header; the caller must then drop the stream. */
  push(input: Buffer): void {
    let chunk = input;
    let offset = 0;
    if (this.body !== undefined) {
      const take = Math.min(this.body.length - this.filled, chunk.length);
      chunk.copy(this.body, this.filled, 0, take);
      this.filled += take;
      offset = take;
      if (this.filled < this.body.length) return;
      const body = this.body;
      this.body = undefined;
      this.filled = 0;
      this.onFrame(body);
    }
    if (this.head !== undefined) {
      chunk = Buffer.concat([this.head, chunk.subarray(offset)]);
      offset = 0;
      this.head = undefined;
    }
    while (chunk.length - offset >= HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      this.check(length);
      const start = offset + HEADER_BYTES;
      const end = start + length;
      if (end <= chunk.length) {
        offset = end;
        this.onFrame(chunk.subarray(start, end));
        continue;
      }
      this.body = Buffer.allocUnsafe(length);
      chunk.copy(this.body, 0, start);
      this.filled = chunk.length - start;
      return;
    }
    if (offset < chunk.length) this.head = Buffer.from(chunk.subarray(offset));
  }

  private check(length: number): void {
    if (length > this.maxMessageSize) {
      throw new RpcError(
        'MESSAGE_TOO_BIG',
        `peer announced a ${length}-byte message, over the ${this.maxMessageSize}-byte maxMessageSize`,
      );
    }
    if (length === 0) throw new RpcError('PROTOCOL', 'peer sent an empty frame');
  }
}
