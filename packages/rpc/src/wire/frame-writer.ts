import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { RpcError } from '../errors.js';
import type { Message } from './messages.js';

// One encoder per process is enough: packing is synchronous. msgpackr writes each message after the previous one
// in its buffer, so a returned frame stays valid while later frames are packed. Bigints use msgpackr's extension
// so values beyond 64 bits survive instead of throwing.
export const packr = new Packr({ useRecords: false, useBigIntExtension: true });

const HEADER_BYTES = 4;
const RESERVE_HEADER = RESERVE_START_SPACE | HEADER_BYTES;
// Frames smaller than this are merged into one write; bigger ones are written as they are (no copy).
const MERGE_LIMIT = 64 * 1024;

export interface FrameSink {
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/** Turns messages into frames and batches the frames of one tick into as few socket writes as possible. */
export class FrameWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly sink: FrameSink,
    private readonly maxMessageSize: number,
  ) {}

  /**
   * Encodes a message into a frame. Throws `RpcError` `MESSAGE_TOO_BIG` (nothing is queued) or a `TypeError` for
   * a value msgpack cannot carry.
   */
  encode(message: Message, rpc?: string): Buffer {
    let frame: Buffer;
    try {
      frame = packr.pack(message, RESERVE_HEADER);
    } catch (error) {
      throw new TypeError(`cannot encode a message${rpc === undefined ? '' : ` of ${rpc}`}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const size = frame.length - HEADER_BYTES;
    if (size > this.maxMessageSize) {
      throw new RpcError(
        'MESSAGE_TOO_BIG',
        `message of ${size} bytes${rpc === undefined ? '' : ` for ${rpc}`} exceeds maxMessageSize (${this.maxMessageSize}); ` +
          'send it as a stream or raise maxMessageSize on both peers',
        rpc === undefined ? {} : { rpc },
      );
    }
    frame.writeUInt32BE(size, 0);
    return frame;
  }

  /** Queues a frame for this tick's write; returns its payload size in bytes. */
  enqueue(frame: Buffer): number {
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushNow);
    }
    return frame.length - HEADER_BYTES;
  }

  send(message: Message, rpc?: string): number {
    return this.enqueue(this.encode(message, rpc));
  }

  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    const total = this.queuedBytes;
    this.queuedBytes = 0;
    if (queue.length === 1) {
      this.sink.write(queue[0]!);
    } else if (total <= MERGE_LIMIT) {
      this.sink.write(Buffer.concat(queue, total));
    } else {
      this.sink.cork();
      for (const frame of queue) this.sink.write(frame);
      this.sink.uncork();
    }
  }

  /** Drops queued frames (the connection is being torn down). */
  discard(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }
}
