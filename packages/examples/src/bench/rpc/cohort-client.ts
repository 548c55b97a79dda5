import { Connection, type Address, type RpcSettings } from '@cohort/rpc';
import { add, count, countFromGenerator, echo, type RpcSubject } from './definitions.js';

/** Cohort's client for the workloads: a plain `Connection` with the server's secret and default settings (or `settings`). */
export class CohortClient implements RpcSubject {
  private constructor(private readonly connection: Connection) {}

  static async connect(address: Address, secret: string, settings?: RpcSettings): Promise<CohortClient> {
    return new CohortClient(
      await Connection.connect({ address, secret, ...(settings === undefined ? {} : { settings }) }),
    );
  }

  /** Whether the connection is encrypted (the bench checks that each client measures what its name says). */
  get encrypted(): boolean {
    return this.connection.encrypted;
  }

  add(a: number, b: number): Promise<number> {
    return this.connection.dispatch(add, [a, b]);
  }

  echo(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    return this.connection.dispatch(echo, bytes);
  }

  /** Reads the stream in batches, as the raw client does. */
  async count(n: number): Promise<{ items: number; sum: number }> {
    let items = 0;
    let sum = 0;
    for await (const batch of (await this.connection.dispatch(count, n)).batches()) {
      items += batch.length;
      for (const item of batch) sum += item;
    }
    return { items, sum };
  }

  /** The same stream, read item by item with `for await`. */
  async countItemByItem(n: number): Promise<{ items: number; sum: number }> {
    return sumOf(await this.connection.dispatch(count, n));
  }

  /** Items from the server's async generator, read item by item. */
  async countFromGenerator(n: number): Promise<{ items: number; sum: number }> {
    return sumOf(await this.connection.dispatch(countFromGenerator, n));
  }

  close(): Promise<void> {
    return this.connection.close('the bench is done');
  }
}

async function sumOf(stream: AsyncIterable<number>): Promise<{ items: number; sum: number }> {
  let items = 0;
  let sum = 0;
  for await (const item of stream) {
    items++;
    sum += item;
  }
  return { items, sum };
}
