import { encodeFrame, FRAME_HEADER_BYTES } from './codec.js';
import type { Message } from './messages.js';

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
    return encodeFrame(message, this.maxMessageSize, rpc);
  }

  /** Encodes a message and queues it for this tick's write; returns its payload size in bytes. */
  send(message: Message, rpc?: string): number {
    const frame = this.encode(message, rpc);
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushNow);
    }
    return frame.length - FRAME_HEADER_BYTES;
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
