import type { ResolvedRpcSettings } from '../settings.js';
import type { Message } from '../wire/messages.js';
import type { Connection } from './connection.js';
import type { ProcessHold } from './process-hold.js';

/** What the call tables need from their connection, and nothing more. */
export interface Link {
  readonly connection: Connection;
  readonly settings: ResolvedRpcSettings;
  /** Encodes and queues a message; throws `MESSAGE_TOO_BIG` (nothing queued) or a `TypeError` for unencodable values. */
  send(message: Message, rpc?: string): number;
  readonly peer: string;
  /**
   * The stream window the peer announced in its menu: the credit a stream we produce starts with. Streams we consume
   * are governed by our own `settings.streamWindowBytes`, so peers with different windows interoperate.
   */
  readonly peerWindowBytes: number;
  readonly open: boolean;
  /** Whether the peer's menu lists this RPC. */
  peerImplements(key: string): boolean;
  /** The error pending calls reject with once the connection is closed. */
  closedError(rpc?: string): Error;
  /** Acquired for each call while it is in flight, so that `holdProcess: 'while-busy'` knows when it is idle. */
  readonly hold: ProcessHold;
}
