// Giving up on a call: TIMEOUT (timeoutMs) and ABORTED (an AbortSignal, or `break` out of a stream). The caller
// settles at once, the server's ctx.signal fires, generators' finally blocks run, and the connection stays usable.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rpc, RpcError } from '../src/index.js';
import { recorder, stillWorks } from './fixtures/recorder.js';
import { add, hang, ticks } from './fixtures/protocol.js';
import { rejection, transports, useHarness, waitFor } from './helpers.js';

const h = useHarness();

describe.each(transports)('giving up over %s', (transport) => {
  describe('TIMEOUT', () => {
    it('rejects after timeoutMs and aborts the server-side signal', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const started = performance.now();
      const error = await rejection(client.dispatch(hang, undefined, { timeoutMs: 100 }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(95);
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'TIMEOUT', rpc: 'hang' });
      expect(error.message).toContain('100 ms');
      await waitFor(() => seen.aborts.length === 1, 'the server signal to fire');
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      expect((seen.aborts[0] as Error).message).toContain('timed out');
      await stillWorks(client);
    });

    it('bounds a pipe until its stream is accepted, not the stream itself', async () => {
      const slowStart = Rpc.pipe({ name: 'slowStart', input: z.number(), item: z.number() });
      const { client } = await h.pair(transport, {
        server: {
          implementations: [
            ...recorder().implementations,
            Rpc.implement(slowStart, async (delayMs, ctx) => {
              await new Promise((resolve) => setTimeout(resolve, delayMs));
              return (async function* () {
                for (let i = 0; i < 3; i++) {
                  await new Promise((resolve) => setTimeout(resolve, 60));
                  if (ctx.signal.aborted) return;
                  yield i;
                }
              })();
            }),
          ],
        },
      });
      expect(await rejection(client.dispatch(slowStart, 2000, { timeoutMs: 50 }))).toMatchObject({ code: 'TIMEOUT' });
      const items: number[] = [];
      for await (const i of await client.dispatch(slowStart, 0, { timeoutMs: 100 })) items.push(i);
      expect(items).toEqual([0, 1, 2]);
    });
  });

  describe('ABORTED', () => {
    it('aborting the signal rejects the call and aborts the server-side signal', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const controller = new AbortController();
      const pending = client.dispatch(hang, undefined, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user pressed stop')), 50);
      const error = await rejection(pending);
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'hang' });
      expect(error.message).toContain('user pressed stop');
      await waitFor(() => seen.aborts.length === 1, 'the server signal to fire');
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      await stillWorks(client);
    });

    it('an already-aborted signal rejects before anything is sent', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const error = await rejection(client.dispatch(add, [1, 2], { signal: AbortSignal.abort() }));
      expect(error).toMatchObject({ code: 'ABORTED' });
      await stillWorks(client);
      expect(seen.add).toBe(1);
    });

    it('a signal that is no AbortSignal fails that call with a TypeError; the server is told, the connection works', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const error = await rejection(client.dispatch(hang, undefined, { signal: {} as AbortSignal }));
      expect(error).toBeInstanceOf(TypeError);
      await waitFor(() => seen.aborts.length === 1, 'the server signal to fire');
      await stillWorks(client);
    });

    it('aborting mid-stream fails the stream and stops the server generator (its finally runs)', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const controller = new AbortController();
      const stream = await client.dispatch(ticks, 1_000_000, { signal: controller.signal });
      const got: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const i of stream) {
            got.push(i);
            if (i === 20) controller.abort();
          }
        })(),
      );
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'ticks' });
      expect(got.slice(0, 21)).toEqual(Array.from({ length: 21 }, (_, i) => i));
      await waitFor(() => seen.finallies === 1, "the generator's finally block");
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      const yielded = seen.yielded;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.yielded).toBe(yielded);
      await stillWorks(client);
    });

    it('break out of a pipe aborts the server generator: its signal fires and its finally runs', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      for await (const i of await client.dispatch(ticks, 1_000_000)) if (i === 15) break;
      await waitFor(() => seen.finallies === 1, "the generator's finally block");
      expect(seen.aborts).toHaveLength(1);
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      expect(seen.yielded).toBeLessThan(1000);
      await stillWorks(client);
      // A stream read to its end runs the finally too, without an abort.
      for await (const i of await client.dispatch(ticks, 3)) void i;
      await waitFor(() => seen.finallies === 2, 'the second finally');
      expect(seen.aborts).toHaveLength(1);
    });

    it('break out of a pipe read in batches aborts the server generator the same way', async () => {
      const { seen, implementations } = recorder();
      const { client } = await h.pair(transport, { server: { implementations } });
      const got: number[] = [];
      for await (const batch of (await client.dispatch(ticks, 1_000_000)).batches()) {
        got.push(...batch);
        if (got.length > 15) break;
      }
      expect(got.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      await waitFor(() => seen.finallies === 1, "the generator's finally block");
      expect(seen.aborts[0]).toMatchObject({ code: 'ABORTED' });
      await stillWorks(client);
    });

    it("aborting a reverse pipe stops pulling the caller's items (their finally runs) and the server's reading", async () => {
      const sink = Rpc.reversePipe({ name: 'sink', input: z.void(), item: z.number(), output: z.number() });
      const serverSaw: unknown[] = [];
      const { client } = await h.pair(transport, {
        server: {
          implementations: [
            ...recorder().implementations,
            Rpc.implement(sink, async (_, items, ctx) => {
              let n = 0;
              try {
                for await (const _item of items) n++;
              } catch (error) {
                serverSaw.push(error, ctx.signal.aborted);
              }
              return n;
            }),
          ],
        },
      });
      let clientFinally = false;
      const controller = new AbortController();
      async function* items() {
        try {
          for (let i = 0; ; i++) {
            if (i === 100) controller.abort();
            yield i;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        } finally {
          clientFinally = true;
        }
      }
      const error = await rejection(client.dispatch(sink, [undefined, items()], { signal: controller.signal }));
      expect(error).toMatchObject({ code: 'ABORTED', rpc: 'sink' });
      await waitFor(() => clientFinally, "the caller's item source to be closed");
      await waitFor(() => serverSaw.length === 2, 'the server to see the abort');
      expect(serverSaw).toEqual([expect.objectContaining({ code: 'ABORTED' }), true]);
      await stillWorks(client);
    });
  });
});
