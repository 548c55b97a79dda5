import type { z } from 'zod';
import { forTheCaller, type CallSite } from '../call-site.js';
import { RpcError, ValidationError } from '../errors.js';
import { menuKeyOf, type AnyRpcDef } from '../definitions.js';
import { isSource, type Source } from '../implementation.js';
import { CreditGate, CreditReturner } from '../protocol/credit.js';
import { produce } from '../protocol/stream-producer.js';
import { StreamReceiver } from '../protocol/stream-receiver.js';
import { Kind, type WireError } from '../wire/messages.js';
import type { Link } from './link.js';
import { fromWireError } from './wire-errors.js';

/** Per-call options of `dispatch`. */
export interface DispatchOptions {
  /** Aborting rejects the call with `RpcError` `ABORTED` (or fails its stream) and aborts the server's `ctx.signal`. */
  signal?: AbortSignal;
  /**
   * Rejects with `RpcError` `TIMEOUT` if the response has not arrived within this many milliseconds (for pipes and
   * state RPCs: until the stream is accepted; use `signal` to bound the whole stream). The server is told to stop.
   */
  timeoutMs?: number;
}

interface OutgoingCall {
  readonly def: AnyRpcDef;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The response arrived; from now on only a stream may still be running. */
  answered: boolean;
  stream: StreamReceiver<unknown> | undefined;
  /** Reverse pipes: credit granted by the server for our items. */
  gate: CreditGate | undefined;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Where the caller made the call, for a stream; else `undefined`: errors made here are found lazily (call-site.ts). */
  readonly site: CallSite | undefined;
}

const settleNothing = (): void => undefined;

/**
 * The promise `call` settles. Made apart from `dispatch` so that the executor closes over the call alone: a closure
 * in `dispatch` would carry all of its variables, and every call in flight pays for that memory.
 */
function settledBy(call: OutgoingCall): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    call.resolve = resolve;
    call.reject = reject;
  });
}

function validationError(def: AnyRpcDef, issues: z.core.$ZodIssue[], what = 'input'): ValidationError {
  return new ValidationError({ side: 'input', rpc: def.name, issues, what });
}

/** The caller's side of a connection: ids, pending calls, their deadlines, and the streams they return. */
export class OutgoingCalls {
  private nextId = 1;
  private readonly calls = new Map<number, OutgoingCall>();

  constructor(private readonly link: Link) {}

  /**
   * `site`: where the caller called, captured for a stream; `undefined` for a call with one answer, whose errors made
   * here are marked for the caller's `traced` promise to place (see call-site.ts).
   */
  dispatch(
    def: AnyRpcDef,
    arg: unknown,
    options: DispatchOptions | undefined,
    site: CallSite | undefined,
  ): Promise<unknown> {
    const link = this.link;
    if (!link.open) return Promise.reject(link.closedError(def.name));
    if (!link.peerImplements(menuKeyOf(def))) {
      return Promise.reject(
        new RpcError('UNIMPLEMENTED', `${link.peer} does not implement ${def.name} (version ${def.version})`, {
          rpc: def.name,
        }),
      );
    }
    let input = arg;
    let items: Source<unknown> | undefined;
    if (def.kind === 'reversePipe') {
      if (!Array.isArray(arg) || arg.length !== 2 || !isSource(arg[1])) {
        return Promise.reject(new TypeError(`${def.name} is a reverse pipe: pass [input, items] with items iterable`));
      }
      [input, items] = arg as [unknown, Source<unknown>];
    }
    // Checked here so a bad call fails fast and locally; the server checks again, it trusts no one.
    const checked = def.input.safeParse(input);
    if (!checked.success) return Promise.reject(validationError(def, checked.error.issues));
    if (options?.signal?.aborted === true) return Promise.reject(abortError(def, options.signal));

    if (def.kind === 'oneWay') {
      try {
        link.send([Kind.Query, 0, def.name, def.version, input], def.name);
        // Resolves once written: the frame writer flushes on the tick it was queued in, before this callback runs.
        return new Promise<undefined>((resolve) => process.nextTick(resolve, undefined));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }

    const id = this.nextId++;
    const call: OutgoingCall = {
      def,
      resolve: settleNothing,
      reject: settleNothing,
      answered: false,
      stream: undefined,
      gate: undefined,
      timer: undefined,
      signal: undefined,
      onAbort: undefined,
      site,
    };
    try {
      link.send([Kind.Query, id, def.name, def.version, input], def.name);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const answer = settledBy(call);
    this.calls.set(id, call);
    link.hold.acquire();
    try {
      this.watch(id, call, options);
      if (items !== undefined) this.sendItems(id, call, items);
    } catch (error) {
      // Options that are not what their types say (a `signal` that is no AbortSignal): the call fails, not the caller.
      this.finish(id, call);
      this.cancelRemote(id, 'the call could not start');
      call.reject(error as Error);
    }
    return answer;
  }

  private watch(id: number, call: OutgoingCall, options: DispatchOptions | undefined): void {
    const signal = options?.signal;
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined) {
      call.timer = setTimeout(() => {
        this.abandon(
          id,
          forTheCaller(
            new RpcError('TIMEOUT', `${call.def.name} timed out after ${timeoutMs} ms`, { rpc: call.def.name }),
            call.site,
          ),
        );
      }, timeoutMs);
    }
    if (signal !== undefined) {
      const onAbort = (): void => this.abandon(id, forTheCaller(abortError(call.def, signal), call.site));
      signal.addEventListener('abort', onAbort, { once: true });
      call.signal = signal;
      call.onAbort = onAbort;
    }
  }

  /** The caller gave up: tell the server, settle locally at once. */
  private abandon(id: number, error: RpcError): void {
    const call = this.calls.get(id);
    if (call === undefined) return;
    this.finish(id, call);
    this.cancelRemote(id, error.message);
    if (call.stream !== undefined) call.stream.fail(error, true);
    else call.reject(error);
    call.gate?.release();
  }

  private cancelRemote(id: number, reason: string): void {
    if (!this.link.open) return;
    try {
      this.link.send([Kind.Cancel, id, reason]);
    } catch {
      // The reason text was too big to encode: the connection is closing anyway or the server will time out.
    }
  }

  private finish(id: number, call: OutgoingCall): void {
    if (this.calls.delete(id)) this.link.hold.release();
    clearTimeout(call.timer);
    if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
  }

  private sendItems(id: number, call: OutgoingCall, items: Source<unknown>): void {
    const def = call.def as Extract<AnyRpcDef, { kind: 'reversePipe' }>;
    const gate = new CreditGate(this.link.peerWindowBytes);
    call.gate = gate;
    let index = 0;
    const stopped = (): boolean => !this.link.open || this.calls.get(id) !== call || call.answered;
    produce(items, {
      gate,
      stopped,
      check: (item) => {
        const result = def.item.safeParse(item);
        if (!result.success) throw validationError(def, result.error.issues, `item ${index}`);
        index++;
        return item;
      },
      sendBatch: (batch) => this.link.send([Kind.UpItems, id, batch], def.name),
    }).then(
      () => {
        if (!stopped()) this.link.send([Kind.UpEnd, id]);
      },
      (error: unknown) => {
        if (stopped()) return;
        // Our own item source failed: the call fails with that error, and the server is told to stop.
        this.finish(id, call);
        this.cancelRemote(id, `the caller's item source failed: ${(error as Error)?.message ?? String(error)}`);
        call.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  onResult(id: number, value: unknown): void {
    const call = this.calls.get(id);
    if (call === undefined || call.answered) return;
    call.answered = true;
    const def = call.def;
    if (def.kind === 'pipe' || def.kind === 'state') {
      // The timeout bounded the stream's acceptance; from here only the caller's signal bounds it.
      clearTimeout(call.timer);
      const stream = new StreamReceiver<unknown>(
        new CreditReturner(this.link.settings.streamWindowBytes, (bytes) => {
          if (this.link.open && this.calls.get(id) === call) this.link.send([Kind.UpCredit, id, bytes]);
        }),
        (reason) => {
          if (this.calls.get(id) !== call) return;
          this.finish(id, call);
          this.cancelRemote(id, reason);
        },
      );
      call.stream = stream;
      call.resolve(def.kind === 'pipe' ? stream : { state: value, updates: stream });
      return;
    }
    this.finish(id, call);
    call.gate?.release();
    call.resolve(value);
  }

  onError(id: number, wire: WireError): void {
    const call = this.calls.get(id);
    if (call === undefined) return;
    // Converted first: should it throw, the call stays in the table and fails with the connection.
    const error = forTheCaller(fromWireError(wire, call.def.name, this.link.peer), call.site);
    this.finish(id, call);
    call.gate?.release();
    if (call.stream !== undefined) call.stream.fail(error);
    else call.reject(error);
  }

  onItems(id: number, items: unknown[], bytes: number): void {
    this.calls.get(id)?.stream?.push(items, bytes);
  }

  onEnd(id: number): void {
    const call = this.calls.get(id);
    if (call?.stream === undefined) return;
    this.finish(id, call);
    call.stream.end();
  }

  onCredit(id: number, bytes: number): void {
    this.calls.get(id)?.gate?.grant(bytes);
  }

  /** The connection closed: every pending call and running stream fails with `error`. */
  closeAll(error: (rpc: string) => Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      this.link.hold.release();
      clearTimeout(call.timer);
      if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
      call.gate?.release();
      const reason = forTheCaller(error(call.def.name), call.site);
      if (call.stream !== undefined) call.stream.fail(reason);
      else call.reject(reason);
    }
  }
}

function abortError(def: AnyRpcDef, signal: AbortSignal): RpcError {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return new RpcError('ABORTED', `${def.name} was aborted by the caller${detail === '' ? '' : `: ${detail}`}`, {
    rpc: def.name,
    cause: reason,
  });
}
