// Cohort's side of the rpc bench: a plain @cohort/rpc server, default settings, secret set.
import { Rpc, Server, type Address } from '@cohort/rpc';
import { add, count, countFromGenerator, echo } from './definitions.js';

/**
 * Listens on a Unix socket or TCP (default settings: encryption 'auto', so it takes plain and encrypted clients
 * alike); resolves to where it listens and a function that closes the server.
 */
export async function listenCohort(
  address: Address,
  secret: string,
): Promise<{ address: Address; close: () => Promise<void> }> {
  const server = await Server.listen({
    address,
    secret,
    implementations: [
      Rpc.implement(add, ([a, b]) => a + b),
      Rpc.implement(echo, (bytes) => bytes),
      // Items that need no waiting come from a sync generator, which the server drains without a promise each…
      Rpc.implement(count, function* (n) {
        for (let i = 0; i < n; i++) yield i;
      }),
      // …and from an async generator, as pipes are often written, at a promise per item.
      Rpc.implement(countFromGenerator, async function* (n) {
        for (let i = 0; i < n; i++) yield i;
      }),
    ],
  });
  return { address: server.address, close: () => server.close('the bench is done') };
}
