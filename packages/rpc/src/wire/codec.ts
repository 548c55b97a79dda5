import { Packr, RESERVE_START_SPACE } from 'msgpackr/pack';
import { RpcError } from '../errors.js';
import { keepNegativeZeros } from './negative-zero.js';

// One encoder per process is enough: packing is synchronous. msgpackr writes each message after the previous one
// in its buffer, so a returned frame stays valid while later frames are packed. Bigints use msgpackr's extension
// so values beyond 64 bits survive instead of throwing. -0 travels as an extension of its own (see negative-zero.ts),
// since msgpackr would write it as the integer 0.
const packr = new Packr({ useRecords: false, useBigIntExtension: true });

/** Bytes of a frame's header: the payload length, 32-bit big-endian. */
export const FRAME_HEADER_BYTES = 4;
const RESERVE_HEADER = RESERVE_START_SPACE | FRAME_HEADER_BYTES;

/**
 * Encodes `value` as one frame (header and msgpack payload): the one encoding of every Cohort byte stream, RPC
 * connections and worker control channels alike. Throws `RpcError` `MESSAGE_TOO_BIG` past `maxPayloadBytes`, or a
 * `TypeError` for a value msgpack cannot carry; `what` names the value in both.
 */
export function encodeFrame(value: unknown, maxPayloadBytes: number, what?: string): Buffer {
  let frame: Buffer;
  try {
    frame = packr.pack(keepNegativeZeros(value), RESERVE_HEADER);
  } catch (error) {
    throw new TypeError(
      `cannot encode a message${what === undefined ? '' : ` of ${what}`}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const size = frame.length - FRAME_HEADER_BYTES;
  if (size > maxPayloadBytes) {
    throw new RpcError(
      'MESSAGE_TOO_BIG',
      `message of ${size} bytes${what === undefined ? '' : ` for ${what}`} exceeds maxMessageSize (${maxPayloadBytes}); ` +
        'send it as a stream or raise maxMessageSize on both peers',
      what === undefined ? {} : { rpc: what },
    );
  }
  frame.writeUInt32BE(size, 0);
  return frame;
}

/** Decodes a frame's payload; throws on bytes that are not msgpack. */
export function decodePayload(payload: Buffer): unknown {
  return packr.unpack(payload);
}
