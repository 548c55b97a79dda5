// Server.listen on a Unix socket, in a process of its own: it listens without loading node:cluster (which
// net.Server#listen loads first), and is otherwise the listen() it replaces: the same errors, the same tracing events.
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/index.js';
import { add } from './fixtures/protocol.js';
import { useHarness } from './helpers.js';

const h = useHarness();

describe('Server.listen on a Unix socket', () => {
  it('serves without loading node:cluster; a second listen on the path fails with EADDRINUSE; tracing sees both ends', async () => {
    const address = h.address('unix') as { path: string };
    const child = await h.spawnFixture('listen', { path: address.path });
    expect(child.ready).toEqual({
      clusterLoaded: false,
      traced: ['asyncStart', 'asyncEnd', 'asyncStart', 'error'],
      again: 'EADDRINUSE',
    });
    const connection = await Connection.connect({ address });
    h.defer(() => connection.close());
    expect(await connection.dispatch(add, [2, 3])).toBe(5);
    child.process.stdin.end();
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
