import { describeThrown, messageOf } from '../describe.js';
import { RpcError, ValidationError } from '../errors.js';
import { menuKey, type AnyRpcDef } from '../definitions.js';
import {
  indexImplementations,
  isPromiseLike,
  isSource,
  type AnyImplementation,
  type RpcContext,
  type Source,
} from '../implementation.js';
import { CreditGate, CreditReturner } from '../protocol/credit.js';
import { produce } from '../protocol/stream-producer.js';
import { StreamReceiver } from '../protocol/stream-receiver.js';
import { Kind, ProtocolViolation } from '../wire/messages.js';
import type { Link } from './link.js';
import { toWireError } from './wire-errors.js';

type Def<K extends AnyRpcDef['kind']> = Extract<AnyRpcDef, { kind: K }>;

/** Told of a one-way implementation's failure: what it threw (or rejected with) and the RPC's name. */
export type OneWayErrorHandler = (error: unknown, rpc: string) => void;

/**
 * One call being served. The `AbortController` behind `ctx.signal` is created only if the implementation looks at
 * the signal: most calls never do, and a controller per call is measurable on the hot path.
 */
class IncomingCall implements RpcContext {
  done = false;
  gate: CreditGate | undefined;
  items: StreamReceiver<unknown> | undefined;
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;

  constructor(
    readonly def: AnyRpcDef,
    readonly connection: RpcContext['connection'],
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Stops the call: aborts its signal, wakes its producer, fails its item stream. */
  stop(reason: Error): void {
    if (this.done) return;
    this.done = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.gate?.release();
    this.items?.fail(reason, true);
  }
}

/** The serving side of a connection: validates queries, runs implementations, streams their results back. */
export class IncomingCalls {
  private readonly calls = new Map<number, IncomingCall>();
  private readonly implementations: ReadonlyMap<string, AnyImplementation>;

  constructor(
    private readonly link: Link,
    implementations: readonly AnyImplementation[],
    private readonly onOneWayError: OneWayErrorHandler | undefined,
  ) {
    this.implementations = indexImplementations(implementations);
  }

  /** What the peer learns in the handshake. */
  menu(): [string, number][] {
    return [...this.implementations.values()].map(({ def }) => [def.name, def.version]);
  }

  onQuery(id: number, name: string, version: number, input: unknown): void {
    const impl = this.implementations.get(menuKey(name, version));
    if (impl === undefined) {
      if (id !== 0) {
        this.sendError(
          id,
          new RpcError('UNIMPLEMENTED', `no implementation of ${name} (version ${version}) here`, { rpc: name }),
        );
      }
      return;
    }
    if (this.calls.has(id)) throw new ProtocolViolation(`peer reused call id ${id} while that call is running`);
    const def = impl.def;
    // Id 0 means "no answer": a call of another kind under it could never be answered, credited or cancelled, and
    // its stream would outlive the connection. A one-way RPC under a real id would leave its caller waiting.
    if (id === 0 && def.kind !== 'oneWay')
      throw new ProtocolViolation(`call id 0 is reserved for one-way RPCs, ${name} is a ${def.kind}`);
    if (id !== 0 && def.kind === 'oneWay') {
      const message = `${name} (version ${version}) is a one-way RPC here, but the caller expects an answer; its description differs`;
      this.sendError(id, new RpcError('UNIMPLEMENTED', message, { rpc: name }));
      return;
    }
    const parsed = def.input.safeParse(input);
    if (!parsed.success) {
      if (id !== 0)
        this.sendError(id, new ValidationError({ side: 'input', rpc: def.name, issues: parsed.error.issues }));
      return;
    }
    const call = new IncomingCall(def, this.link.connection);
    const handler = impl.handler as (...args: unknown[]) => unknown;
    if (def.kind === 'rpc') return this.runRpc(id, call, def, () => handler(parsed.data, call));
    if (id !== 0) this.track(id, call);
    switch (def.kind) {
      case 'oneWay':
        return this.runOneWay(call, () => handler(parsed.data, call));
      case 'pipe':
        return this.settle(
          id,
          call,
          () => handler(parsed.data, call),
          (source) => this.startPipe(id, call, def, source),
        );
      case 'state':
        return this.settle(
          id,
          call,
          () => handler(parsed.data, call),
          (value) => this.startState(id, call, def, value),
        );
      case 'reversePipe':
        return this.runReversePipe(id, call, def, (items) => handler(parsed.data, items, call));
    }
  }

  /**
   * A request/response call is tracked (for cancellation and close) only if it is still running once its handler
   * returns: one answered synchronously cannot be cancelled, and skipping the table is measurable per call.
   */
  private runRpc(id: number, call: IncomingCall, def: Def<'rpc'>, start: () => unknown): void {
    let result: unknown;
    try {
      result = start();
    } catch (error) {
      this.fail(id, call, error);
      return;
    }
    if (!isPromiseLike(result)) {
      this.answer(id, call, def.output, result);
      return;
    }
    this.track(id, call);
    result.then(
      (value) => {
        if (!call.done) this.answer(id, call, def.output, value);
      },
      (error: unknown) => this.fail(id, call, error),
    );
  }

  /** Runs `start`; hands a sync or async result to `next`, turns a throw or rejection into the call's error. */
  private settle(id: number, call: IncomingCall, start: () => unknown, next: (value: unknown) => void): void {
    let result: unknown;
    try {
      result = start();
    } catch (error) {
      this.fail(id, call, error);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => {
          if (!call.done) next(value);
        },
        (error: unknown) => this.fail(id, call, error),
      );
    } else next(result);
  }

  private answer(id: number, call: IncomingCall, schema: AnyRpcDef['input'], value: unknown): void {
    const checked = schema.safeParse(value);
    if (!checked.success) {
      this.fail(id, call, new ValidationError({ side: 'output', rpc: call.def.name, issues: checked.error.issues }));
      return;
    }
    this.end(id, call);
    try {
      this.link.send([Kind.Result, id, checked.data], call.def.name);
    } catch (error) {
      this.sendError(id, error);
    }
  }

  private runOneWay(call: IncomingCall, start: () => unknown): void {
    const report = (error: unknown): void => this.reportOneWayError(error, call.def.name);
    try {
      const result = start();
      if (isPromiseLike(result)) {
        // Served until it settles, though no one waits for it: a worker must not exit in the middle of one.
        const hold = this.link.hold;
        hold.acquire();
        result.then(
          () => hold.release(),
          (error: unknown) => {
            hold.release();
            report(error);
          },
        );
      }
    } catch (error) {
      report(error);
    }
  }

  /**
   * No caller waits for a one-way call, so its failure goes to whoever the program named (core forwards it to the
   * worker's spawner), or else becomes a warning here. A throwing handler must not break the connection, whose
   * socket callback this may be running in: its failure is a warning too, next to the error it was given.
   */
  private reportOneWayError(error: unknown, rpc: string): void {
    if (this.onOneWayError !== undefined) {
      try {
        this.onOneWayError(error, rpc);
        return;
      } catch (thrown) {
        process.emitWarning(`onOneWayError threw while reporting one-way ${rpc}'s error: ${describeThrown(thrown)}`, {
          code: 'COHORT_ONE_WAY_ERROR',
        });
      }
    }
    process.emitWarning(`one-way ${rpc} threw: ${messageOf(error)}`, { code: 'COHORT_ONE_WAY_ERROR' });
  }

  private startPipe(id: number, call: IncomingCall, def: Def<'pipe'>, source: unknown): void {
    if (!isSource(source)) {
      this.fail(
        id,
        call,
        new TypeError(`the implementation of pipe ${def.name} must return an iterable or async iterable`),
      );
      return;
    }
    this.link.send([Kind.Result, id, undefined]);
    this.stream(id, call, def.item, source, 'item');
  }

  private startState(id: number, call: IncomingCall, def: Def<'state'>, value: unknown): void {
    const { state, updates } = (value ?? {}) as { state?: unknown; updates?: unknown };
    if (!isSource(updates)) {
      this.fail(
        id,
        call,
        new TypeError(`the implementation of state ${def.name} must return { state, updates } with iterable updates`),
      );
      return;
    }
    const checked = def.state.safeParse(state);
    if (!checked.success) {
      this.fail(
        id,
        call,
        new ValidationError({ side: 'output', rpc: def.name, issues: checked.error.issues, what: 'state' }),
      );
      return;
    }
    try {
      this.link.send([Kind.Result, id, checked.data], def.name);
    } catch (error) {
      this.fail(id, call, error);
      return;
    }
    this.stream(id, call, def.update, updates, 'update');
  }

  private stream(
    id: number,
    call: IncomingCall,
    schema: AnyRpcDef['input'],
    source: Source<unknown>,
    what: string,
  ): void {
    call.gate = new CreditGate(this.link.peerWindowBytes);
    let index = 0;
    produce(source, {
      gate: call.gate,
      stopped: () => call.done || !this.link.open,
      check: (item) => {
        const checked = schema.safeParse(item);
        if (!checked.success) {
          throw new ValidationError({
            side: 'output',
            rpc: call.def.name,
            issues: checked.error.issues,
            what: `${what} ${index}`,
          });
        }
        index++;
        return checked.data;
      },
      sendBatch: (items) => this.link.send([Kind.DownItems, id, items], call.def.name),
    }).then(
      () => {
        if (call.done || !this.link.open) return;
        this.end(id, call);
        this.link.send([Kind.DownEnd, id]);
      },
      (error: unknown) => this.fail(id, call, error),
    );
  }

  private runReversePipe(
    id: number,
    call: IncomingCall,
    def: Def<'reversePipe'>,
    start: (items: AsyncIterable<unknown>) => unknown,
  ): void {
    const receiver = new StreamReceiver<unknown>(
      new CreditReturner(this.link.settings.streamWindowBytes, (bytes) => {
        if (!call.done && this.link.open) this.link.send([Kind.DownCredit, id, bytes]);
      }),
      () => {
        // The implementation stopped reading early; its result (soon) tells the caller to stop sending.
      },
    );
    call.items = receiver;
    this.settle(
      id,
      call,
      () => start(validatedItems(receiver, def)),
      (value) => this.answer(id, call, def.output, value),
    );
  }

  private fail(id: number, call: IncomingCall, error: unknown): void {
    if (call.done || id === 0) return;
    this.end(id, call);
    this.sendError(id, error);
  }

  private end(id: number, call: IncomingCall): void {
    call.done = true;
    call.gate?.release();
    this.untrack(id);
  }

  private track(id: number, call: IncomingCall): void {
    this.calls.set(id, call);
    this.link.hold.acquire();
  }

  private untrack(id: number): void {
    if (this.calls.delete(id)) this.link.hold.release();
  }

  private sendError(id: number, error: unknown): void {
    if (!this.link.open) return;
    const wire = toWireError(error);
    try {
      this.link.send([Kind.Error, id, wire]);
    } catch {
      // Over maxMessageSize (the error's limits are about 1 MiB; a peer may allow less): its name and message alone.
      const text = 'message' in wire ? wire.message.slice(0, 4096) : describeThrown(error).slice(0, 4096);
      this.link.send([Kind.Error, id, { type: 'remote', name: 'name' in wire ? wire.name : 'Error', message: text }]);
    }
  }

  onCancel(id: number, reason: string): void {
    const call = this.calls.get(id);
    if (call === undefined) return;
    this.untrack(id);
    call.stop(new RpcError('ABORTED', `the caller cancelled ${call.def.name}: ${reason}`, { rpc: call.def.name }));
  }

  onItems(id: number, items: unknown[], bytes: number): void {
    this.calls.get(id)?.items?.push(items, bytes);
  }

  onEnd(id: number): void {
    this.calls.get(id)?.items?.end();
  }

  onCredit(id: number, bytes: number): void {
    this.calls.get(id)?.gate?.grant(bytes);
  }

  /** The connection closed: abort every running implementation. */
  closeAll(error: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      this.link.hold.release();
      call.stop(error);
    }
  }
}

/** The server checks every reverse-pipe item too: it trusts no caller. */
async function* validatedItems(receiver: StreamReceiver<unknown>, def: Def<'reversePipe'>): AsyncGenerator<unknown> {
  let index = 0;
  try {
    for await (const item of receiver) {
      const checked = def.item.safeParse(item);
      if (!checked.success) {
        throw new ValidationError({
          side: 'input',
          rpc: def.name,
          issues: checked.error.issues,
          what: `item ${index}`,
        });
      }
      index++;
      yield checked.data;
    }
  } finally {
    receiver.cancel();
  }
}
