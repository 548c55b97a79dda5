import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';

// The control channel carries a handful of messages per worker life (bootstrap, ready, failure), so a simple
// length-prefixed msgpack framing suffices; msgpack keeps `init` values such as Uint8Array intact.
const packr = new Packr({ useRecords: false, useBigIntExtension: true });
const HEADER_BYTES = 4;
/** A bootstrap carries the worker's `init`; anything bigger than this is a bug or an attack. */
const MAX_CONTROL_MESSAGE = 64 * 1024 * 1024;

/** Length-prefixed msgpack messages over a stream (a pipe to a child process, or ssh's stdio). */
export class ControlChannel {
  private buffered: Buffer = Buffer.alloc(0);
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
    const body = packr.pack(message);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(body.length, 0);
    return new Promise((resolve, reject) => {
      if (this.closedWhy !== undefined || this.stream.destroyed) {
        reject(new Error(`cannot send on the control channel: ${this.closedWhy ?? 'closed'}`));
        return;
      }
      this.stream.write(Buffer.concat([header, body]), (error) => (error ? reject(error) : resolve()));
    });
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
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= HEADER_BYTES) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_CONTROL_MESSAGE) {
        this.stream.destroy(new Error(`control message of ${length} bytes is over the ${MAX_CONTROL_MESSAGE}-byte limit`));
        return;
      }
      if (this.buffered.length < HEADER_BYTES + length) return;
      const body = this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + length);
      this.buffered = this.buffered.subarray(HEADER_BYTES + length);
      let message: unknown;
      try {
        message = packr.unpack(body);
      } catch (error) {
        this.stream.destroy(new Error(`undecodable control message: ${(error as Error).message}`));
        return;
      }
      for (const listener of this.listeners) listener(message);
    }
  }
}
