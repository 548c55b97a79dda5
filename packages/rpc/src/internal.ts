/**
 * `@cohort/rpc/internal`: the pieces of this package that `@cohort/core` builds on besides the public API — the
 * frame codec (so a worker's control channel speaks the same framing and msgpack configuration as its RPC
 * connections), the heartbeat monitor (reused by remote-host sessions), and the text helpers every layer reports
 * with. Not public API: no compatibility promise across versions; import `@cohort/rpc` instead.
 */
export { decodePayload, encodeFrame, FRAME_HEADER_BYTES } from './wire/codec.js';
export { FrameDecoder } from './wire/frame-decoder.js';
export { approximateSize } from './wire/approximate-size.js';
export { HeartbeatMonitor } from './protocol/heartbeat.js';
export { describeThrown, formatIssues, type IssueLike } from './describe.js';
export { isPromiseLike, isSource } from './implementation.js';
