import type { RpcErrorCode } from '../errors.js';

/** Why a connection closed. `by: 'local'` means this side decided (close(), heartbeat timeout, protocol error). */
export interface CloseReason {
  readonly by: 'local' | 'remote';
  readonly reason: string;
  /** Set when the close was caused by a failure rather than asked for. */
  readonly code?: RpcErrorCode;
}
