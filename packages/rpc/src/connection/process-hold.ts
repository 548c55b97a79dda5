/** What a connection's byte stream may offer to keep the process alive or not: sockets do, other streams may not. */
export interface Refable {
  ref?(): unknown;
  unref?(): unknown;
  readonly destroyed?: boolean;
}

/**
 * Counts what a connection has in flight (its handshake, calls awaiting an answer, open streams, calls being
 * served, a close under way). With `holdProcess: 'while-busy'` the socket keeps the process alive only while the
 * count is above zero: it is ref'd and unref'd on the transitions between 0 and 1 alone, so a call costs a counter
 * increment and decrement. With `'always'` the socket is never touched, as before the option existed.
 */
export class ProcessHold {
  private count = 0;

  constructor(
    private readonly socket: Refable,
    private readonly whileBusy: boolean,
  ) {}

  acquire(): void {
    if (this.count++ === 0 && this.whileBusy) this.set('ref');
  }

  release(): void {
    if (--this.count === 0 && this.whileBusy) this.set('unref');
  }

  private set(how: 'ref' | 'unref'): void {
    // A destroyed socket has no handle left to hold anything; net.Socket would queue the call for a 'connect' that
    // never comes (one listener per call still settling after the close).
    if (this.socket.destroyed !== true) this.socket[how]?.();
  }
}

export type HoldProcess = 'always' | 'while-busy';

/** A misspelt mode would otherwise silently hold the process, the opposite of what was asked for. */
export function checkHoldProcess(mode: unknown): HoldProcess {
  if (mode === undefined) return 'always';
  if (mode !== 'always' && mode !== 'while-busy') {
    throw new TypeError(
      `holdProcess must be 'always' or 'while-busy', got ${typeof mode === 'string' ? JSON.stringify(mode) : typeof mode}`,
    );
  }
  return mode;
}
