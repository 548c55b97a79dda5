// A man in the middle between a master and a worker (a TCP relay that records every byte and can flip a bit): the
// one @cohort/rpc's tests use, shared rather than written twice.
export { nonLoopbackAddress, startRelay, type Direction, type Relay } from '../../../rpc/test/relay.js';
