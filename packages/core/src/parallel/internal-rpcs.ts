import { z } from 'zod';
import { Rpc } from '@cohort/rpc/internal';

// Served by every worker besides its type's functions. The `__cohort/` prefix cannot collide with user
// functions, whose RPC names are `<type>/<function>` and whose type names may not start with `__`.

/** First call on every connection: runs `initConnectionState` with the connection's init argument. */
export const initConnection = Rpc.rpc({ name: '__cohort/init-connection', input: z.unknown(), output: z.void() });

/** Asks the worker to exit (code 0) once the call is acknowledged. */
export const shutdown = Rpc.rpc({ name: '__cohort/shutdown', input: z.void(), output: z.void() });

/** The worker shuts down when the connection this arrives on closes. */
export const shutdownOnDisconnect = Rpc.rpc({
  name: '__cohort/shutdown-on-disconnect',
  input: z.void(),
  output: z.void(),
});

/** What the worker's process uses: its resident set size in bytes (pools recycle workers past a limit). */
export const usage = Rpc.rpc({ name: '__cohort/usage', input: z.void(), output: z.object({ rssBytes: z.number() }) });
