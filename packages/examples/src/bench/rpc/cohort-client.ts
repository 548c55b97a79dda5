import { Connection, type Address, type RpcSettings } from '@cohort/rpc';
import { add, count, echo, type RpcSubject } from './definitions.js';

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

  async count(n: number): Promise<{ items: number; sum: number }> {
    let items = 0;
    let sum = 0;
    for await (const item of await this.connection.dispatch(count, n)) {
      items++;
      sum += item;
    }
    return { items, sum };
  }

  close(): Promise<void> {
    return this.connection.close('the bench is done');
  }
}
