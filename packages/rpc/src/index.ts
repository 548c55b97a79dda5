export { Rpc } from './rpc.js';
export type {
  AnyRpcDef,
  OneWayDef,
  PipeDef,
  ReversePipeDef,
  RpcDef,
  RpcKind,
  RpcSpec,
  StateDef,
} from './definitions.js';
export type { Role } from './protocol/handshake.js';
export type {
  AnyImplementation,
  Handler,
  Implementation,
  MaybePromise,
  OneWayHandler,
  PipeHandler,
  ReversePipeHandler,
  RpcContext,
  RpcHandler,
  Source,
  StateHandler,
} from './implementation.js';
export { Connection } from './connection/connection.js';
export type { ConnectionOptions, ConnectOptions, DispatchArg, DispatchResult } from './connection/connection.js';
export type { DispatchOptions } from './connection/outgoing.js';
export type { OneWayErrorHandler } from './connection/incoming.js';
export type { CloseReason } from './connection/close-reason.js';
export type { RpcStream } from './protocol/stream-receiver.js';
export { Server } from './server.js';
export type { ListenOptions } from './server.js';
export type { Address } from './address.js';
export { describeAddress } from './address.js';
export { RpcError, RemoteError, ValidationError } from './errors.js';
export { RPC_ERROR_CODES } from './errors.js';
export type { RemoteErrorInit, RpcErrorCode } from './errors.js';
export { defaultRpcSettings, resolveRpcSettings } from './settings.js';
export type { RpcSettings, ResolvedRpcSettings } from './settings.js';
export type { Encryption } from './transport/encryption.js';
