import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Connection, Rpc, Server } from '../src/index.js';

describe('smoke', () => {
  it('round trips over TCP', async () => {
    const add = Rpc.rpc({ name: 'add', input: z.tuple([z.number(), z.number()]), output: z.number() });
    const server = await Server.listen({ address: { host: '127.0.0.1', port: 0 }, implementations: [Rpc.implement(add, ([a, b]) => a + b)] });
    const conn = await Connection.connect({ address: server.address });
    expect(await conn.dispatch(add, [1, 2])).toBe(3);
    await conn.close();
    await server.close();
  });
});
