// Cohort's side of the rpc bench: a plain @cohort/rpc server, default settings, secret set.
import { Rpc, Server } from '@cohort/rpc';
import { add, count, echo } from './definitions.js';

/** Listens on a Unix socket; resolves to a function that closes the server. */
export async function listenCohort(path: string, secret: string): Promise<() => Promise<void>> {
  const server = await Server.listen({
    address: { path },
    secret,
    implementations: [
      Rpc.implement(add, ([a, b]) => a + b),
      Rpc.implement(echo, (bytes) => bytes),
      // An async generator, as users write pipes (see the SPEC); items are yielded one by one.
      Rpc.implement(count, async function* (n) {
        for (let i = 0; i < n; i++) yield i;
      }),
    ],
  });
  return () => server.close('the bench is done');
}
