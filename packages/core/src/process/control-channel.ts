import type { Duplex } from 'node:stream';
import { decodePayload, encodeFrame, FrameDecoder } from '@cohort/rpc/internal';

const { readSync, writeSync } = process.getBuiltinModule('node:fs');

/** A bootstrap carries the worker's `init`; anything bigger than this is a bug or an attack. */
const MAX_CONTROL_MESSAGE = 64 * 1024 * 1024;
/** How much `readArrived` asks of the descriptor at a time. */
const READ_NOW_BYTES = 64 * 1024;

/**
 * Messages over a stream (a pipe to a child process, or relayed by a remote agent), framed and encoded exactly as
 * RPC connections are, so `init` values such as Uint8Array arrive intact.
 */
export class ControlChannel {
  private readonly decoder = new FrameDecoder(MAX_CONTROL_MESSAGE, (payload) => this.onFrame(payload));
  private readonly listeners = new Set<(message: unknown) => void>();
  private readonly closeListeners = new Set<(why: string) => void>();
  private closedWhy: string | undefined;

  constructor(private readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    const onClose = (why: string) => () => this.close(why);
    stream.on('end', onClose('the other side closed the control channel'));
    stream.on('close', onClose('the control channel closed'));
    stream.on('error', (error: Error) => this.close(`control channel error: ${error.message}`));
  }

  send(message: unknown): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeFrame(message, MAX_CONTROL_MESSAGE, 'the control channel');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      if (this.closedWhy !== undefined || this.stream.destroyed) {
        reject(new Error(`cannot send on the control channel: ${this.closedWhy ?? 'closed'}`));
        return;
      }
      this.stream.write(frame, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Writes `message` to `fd`, this channel's own descriptor, before returning: for the last moments of a process, when
   * the event loop will not turn again. Nothing is written while the stream still has bytes of its own to write (they
   * would be overtaken); false then, or if the descriptor would block.
   */
  sendNow(fd: number, message: unknown): boolean {
    if (this.closedWhy !== undefined || this.stream.destroyed || this.stream.writableLength > 0) return false;
    try {
      const frame = encodeFrame(message, MAX_CONTROL_MESSAGE, 'the control channel');
      for (let offset = 0; offset < frame.length; ) offset += writeSync(fd, frame, offset);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads what has already arrived on `fd`, this channel's own descriptor, now rather than at the event loop's next
   * turn, until `enough()` or until nothing more is there (the stream's descriptor does not block: a read that would
   * wait fails at once). What is read goes through the same decoder, in order, before anything the stream reads
   * later. A worker's spawner writes its bootstrap as it starts it, so the bootstrap is waiting when the worker asks;
   * the loop turn that would deliver it cost about half a millisecond of every worker's start.
   */
  readArrived(fd: number, enough: () => boolean): void {
    while (!enough() && this.closedWhy === undefined && !this.stream.destroyed) {
      const buffer = Buffer.allocUnsafe(READ_NOW_BYTES);
      let read: number;
      try {
        read = readSync(fd, buffer, 0, READ_NOW_BYTES, null);
      } catch {
        // EAGAIN: nothing (more) has arrived yet; anything else, the stream will report.
        return;
      }
      // The end of the stream: the stream sees it too, and reports it.
      if (read === 0) return;
      this.onData(buffer.subarray(0, read));
    }
  }

  onMessage(listener: (message: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: (why: string) => void): () => void {
    if (this.closedWhy !== undefined) listener(this.closedWhy);
    else this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  destroy(): void {
    this.close('closed locally');
    this.stream.destroy();
  }

  private close(why: string): void {
    if (this.closedWhy !== undefined) return;
    this.closedWhy = why;
    for (const listener of this.closeListeners) listener(why);
    this.closeListeners.clear();
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
    } catch (error) {
      this.stream.destroy(error as Error);
    }
  }

  private onFrame(payload: Buffer): void {
    let message: unknown;
    try {
      message = decodePayload(payload);
    } catch (error) {
      throw new Error(`undecodable control message: ${(error as Error).message}`, { cause: error });
    }
    for (const listener of this.listeners) listener(message);
  }
}
