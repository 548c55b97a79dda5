/**
 * `@cohort/rpc/internal`: the pieces of this package that `@cohort/core` builds on besides the public API — the
 * frame codec (so a worker's control channel speaks the same framing and msgpack configuration as its RPC
 * connections), the heartbeat monitor (reused by remote-host sessions), the text helpers every layer reports with,
 * call sites (so that a worker's `run`, a pool's or a map-reduce's failure points at its caller), stream views
 * (a worker's explained stream errors, a pool's hold on a streaming worker), and error payloads
 * (a scheduler task's failure travels in its result). Not public API: no compatibility promise across versions; import `@cohort/rpc` instead.
 *
 * It is also the whole public API: the build makes this module the package's one bundle, and `@cohort/rpc` a list of
 * re-exports from it: all of the package's code is in one module, and both entries hand out the same classes.
 */
export * from './index.js';
export { decodePayload, encodeFrame, FRAME_HEADER_BYTES } from './wire/codec.js';
export { FrameDecoder } from './wire/frame-decoder.js';
export { approximateSize } from './wire/approximate-size.js';
export { HeartbeatMonitor } from './protocol/heartbeat.js';
export { describeThrown, formatIssues, messageOf, type IssueLike } from './describe.js';
export { isPromiseLike, isSource } from './implementation.js';
export { watchStream, type StreamHooks } from './protocol/stream-view.js';
export {
  captureCallSite,
  dispatchFrom,
  forTheCaller,
  placedCall,
  traced,
  withCallSite,
  type CallSite,
} from './call-site.js';
export { errorFromWire, toWireError } from './connection/wire-errors.js';
export { THROWN_LIMITS } from './connection/serialize-thrown.js';
