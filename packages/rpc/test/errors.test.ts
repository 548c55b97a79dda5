// RpcError codes of the connection itself: CONNECTION_CLOSED, UNIMPLEMENTED, MESSAGE_TOO_BIG and PROTOCOL
// (handshake codes live in handshake.test.ts, TIMEOUT and ABORTED in cancellation.test.ts). After each failure
// the connection must still serve the next call.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, RpcError } from '../src/index.js';
import { Kind } from '../src/wire/messages.js';
import { recorder, stillWorks } from './fixtures/recorder.js';
import { add, echo, hang, note, ticks, upload } from './fixtures/protocol.js';
import { rejection, transports, useHarness, waitFor, within } from './helpers.js';

const h = useHarness();

describe.each(transports)('RpcError codes over %s', (transport) => {
  describe('CONNECTION_CLOSED', () => {
    it('a pending call rejects when the peer closes the connection', async () => {
      const { seen, implementations } = recorder();
      const { client, serverSide } = await h.pair(transport, { server: { implementations } });
      const pending = rejection(client.dispatch(hang, undefined));
      await waitFor(() => seen.hangs === 1, 'the call to start');
      await serverSide.close('going away');
      const error = await pending;
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'CONNECTION_CLOSED', rpc: 'hang' });
      expect(error.message).toContain('going away');
    });

    it('pending calls and streams reject when the server closes', async () => {
      const { implementations } = recorder();
      const { server, client } = await h.pair(transport, { server: { implementations } });
      const call = rejection(client.dispatch(hang, undefined));
      const stream = await client.dispatch(ticks, 1_000_000);
      await stream.next();
      await server.close('maintenance');
      expect(await call).toMatchObject({ code: 'CONNECTION_CLOSED' });
      const drained = (async () => {
        for (;;) if ((await stream.next()).done === true) return;
      })();
      expect(await rejection(drained)).toMatchObject({ code: 'CONNECTION_CLOSED' });
      expect((await client.closed).reason).toBe('maintenance');
    });

    it('dispatching on a closed connection rejects at once, for every kind', async () => {
      const { implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      await client.close('done');
      for (const error of await Promise.all([
        rejection(client.dispatch(add, [1, 2])),
        rejection(client.dispatch(ticks, 1)),
        rejection(client.dispatch(note, 'x')),
        rejection(client.dispatch(upload, ['x', []])),
      ])) {
        expect(error).toBeInstanceOf(RpcError);
        expect((error as RpcError).code).toBe('CONNECTION_CLOSED');
        expect(error.message).toContain('done');
      }
    });
  });

  describe('UNIMPLEMENTED', () => {
    it('rejects at once, without a round trip, when the peer menu lacks the RPC', async () => {
      const missing = Rpc.rpc({ name: 'missing', input: z.void(), output: z.void() });
      const { client } = await h.pair(transport, { server: { implementations: recorder().implementations } });
      expect(client.implements(missing)).toBe(false);
      const outcome = client.dispatch(missing, undefined).catch((e: unknown) => e);
      // Settled before the event loop could even read a response.
      const first = await Promise.race([
        outcome,
        new Promise((resolve) => setImmediate(() => resolve('still pending'))),
      ]);
      expect(first).toBeInstanceOf(RpcError);
      expect(first).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'missing' });
      await stillWorks(client);
    });

    it('a different version of a served name is not implemented', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const add1 = Rpc.rpc({ name: 'add', version: 1, input: add.input, output: add.output });
      expect(client.implements(add)).toBe(true);
      expect(client.implements(add1)).toBe(false);
      const error = await rejection(client.dispatch(add1, [1, 2]));
      expect(error).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'add' });
      expect(error.message).toContain('version 1');
      expect(seen.add).toBe(0);
      await stillWorks(client);
    });

    it('a call that expects an answer from what the server serves as one-way is refused, not left waiting', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const noteAsRpc = Rpc.rpc({ name: 'note', input: z.string(), output: z.void() });
      const error = await within(rejection(client.dispatch(noteAsRpc, 'x')), 5_000, 'the mismatched call');
      expect(error).toMatchObject({ code: 'UNIMPLEMENTED', rpc: 'note' });
      expect(error.message).toContain('one-way');
      expect(seen.notes).toEqual([]);
      await stillWorks(client);
    });

    it('the server answers UNIMPLEMENTED to a peer that ignores its menu', async () => {
      const server = await h.server(transport, { implementations: recorder().implementations });
      const raw = await h.raw(server.address);
      await raw.handshake();
      raw.send([Kind.Query, 1, 'nope', 0, null]);
      const answer = await raw.next((m) => m[0] === Kind.Error && m[1] === 1, 'the error');
      expect(answer[2]).toMatchObject({ type: 'rpc', code: 'UNIMPLEMENTED' });
      raw.send([Kind.Query, 2, 'add', 0, [1, 1]]);
      expect(await raw.next((m) => m[0] === Kind.Result && m[1] === 2, 'the result')).toEqual([Kind.Result, 2, 2]);
    });
  });

  describe('MESSAGE_TOO_BIG', () => {
    it('on send: the call rejects, nothing is written, and the next call goes through', async () => {
      const { seen, implementations } = recorder();
      const server = await h.server(transport, { implementations, settings: { maxMessageSize: 1024 } });
      const proxy = await h.proxy(transport, server.address);
      const client = await h.connect({ address: proxy.address, settings: { maxMessageSize: 1024 } });
      await stillWorks(client);
      await waitFor(() => proxy.down() > 0, 'the answer to pass the proxy');
      const before = proxy.up();
      const error = await rejection(client.dispatch(echo, new Uint8Array(2000)));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'echo' });
      expect(error.message).toMatch(/maxMessageSize/);
      // A one-way message is refused the same way.
      expect(await rejection(client.dispatch(note, 'x'.repeat(2000)))).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
      await stillWorks(client);
      expect(proxy.up() - before).toBeLessThan(100);
      expect(seen.echo).toBe(0);
      expect(seen.notes).toEqual([]);
      expect(await client.dispatch(echo, new Uint8Array(500))).toHaveLength(500);
    });

    it('on send of a reverse-pipe item: the call rejects and the connection stays usable', async () => {
      const { implementations } = recorder();
      const { client } = await h.pair(transport, {
        server: { implementations, settings: { maxMessageSize: 1024 } },
        client: { settings: { maxMessageSize: 1024 } },
      });
      const error = await rejection(client.dispatch(upload, ['big', [new Uint8Array(10), new Uint8Array(5000)]]));
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'upload' });
      await stillWorks(client);
      expect(await client.dispatch(upload, ['small', [new Uint8Array(10)]])).toEqual({
        name: 'small',
        bytes: 10,
        chunks: 1,
      });
    });

    it("an implementation's result too big to send rejects the call with MESSAGE_TOO_BIG", async () => {
      const grow = Rpc.rpc({ name: 'grow', input: z.number(), output: z.string() });
      const { client } = await h.pair(transport, {
        server: {
          implementations: [Rpc.implement(grow, (n) => 'x'.repeat(n)), ...recorder().implementations],
          settings: { maxMessageSize: 1024 },
        },
      });
      const error = await rejection(client.dispatch(grow, 5000));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'MESSAGE_TOO_BIG', rpc: 'grow' });
      expect(await client.dispatch(grow, 10)).toBe('xxxxxxxxxx');
      await stillWorks(client);
    });

    it('on receive: a frame header over maxMessageSize disconnects the peer before its body is sent', async () => {
      const server = await h.server(transport, {
        implementations: recorder().implementations,
        settings: { maxMessageSize: 1024 },
      });
      const raw = await h.raw(server.address);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(1025, 0);
      raw.write(header);
      await within(raw.closed, 10_000, 'the server to hang up');
      expect(raw.closeMessage()).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
      expect(raw.closeMessage()?.reason).toContain('1025');
      const client = await h.connect({ address: server.address, settings: { maxMessageSize: 1024 } });
      await stillWorks(client);
    });
  });

  describe('PROTOCOL', () => {
    it('garbage bytes close the connection with PROTOCOL; the server keeps serving', async () => {
      const server = await h.server(transport, { implementations: recorder().implementations });
      const raw = await h.raw(server.address);
      raw.write(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
      await within(raw.closed, 10_000, 'the server to hang up');
      expect(raw.closeMessage()?.code).toBe('PROTOCOL');
      await stillWorks(await h.connect({ address: server.address }));
    });

    it('a client talking to a server that speaks garbage fails to connect with PROTOCOL', async () => {
      const address = await h.rawServer(transport, (peer) => peer.write(Buffer.from([0, 0, 0, 2, 0x92, 0xff])));
      const error = await rejection(h.connect({ address }));
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'PROTOCOL' });
    });
  });
});
