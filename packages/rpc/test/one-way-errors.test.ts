// Where a one-way implementation's failure goes: to `onOneWayError` when the program gave one (the server's, or a
// connection's own), else to a process warning `COHORT_ONE_WAY_ERROR` on the serving side. Never to the caller.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Connection, Rpc, Server } from '../src/index.js';
import { add, note } from './fixtures/protocol.js';
import { transports, useHarness, waitFor } from './helpers.js';

const h = useHarness();

const boom = Rpc.oneWay({ name: 'boom', input: z.string() });
const failing = () => [
  Rpc.implement(add, ([a, b]) => a + b),
  Rpc.implement(boom, async (how) => {
    if (how === 'throw') throw new Error('thrown at once');
    if (how === 'string') throw 'a plain string';
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new RangeError('rejected later');
  }),
];

/** Warnings this process emits with our code, from now until the end of the test. */
function recordWarnings(): Error[] {
  const seen: Error[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === 'COHORT_ONE_WAY_ERROR') seen.push(warning);
  };
  process.on('warning', listener);
  h.defer(() => process.off('warning', listener));
  return seen;
}

describe.each(transports)('one-way errors over %s', (transport) => {
  it('without onOneWayError, each failure is a COHORT_ONE_WAY_ERROR warning on the serving side', async () => {
    const warnings = recordWarnings();
    const { client } = await h.pair(transport, { server: { implementations: failing() } });
    await client.dispatch(boom, 'throw');
    await client.dispatch(boom, 'reject');
    await waitFor(() => warnings.length === 2, 'two warnings');
    expect(warnings.map((w) => w.message).sort()).toEqual([
      'one-way boom threw: rejected later',
      'one-way boom threw: thrown at once',
    ]);
    expect(await client.dispatch(add, [1, 2])).toBe(3);
  });

  it("the server's onOneWayError receives what was thrown or rejected, and the RPC's name; no warning", async () => {
    const warnings = recordWarnings();
    const reported: [unknown, string][] = [];
    const { client } = await h.pair(transport, {
      server: { implementations: failing(), onOneWayError: (error, rpc) => void reported.push([error, rpc]) },
    });
    for (const how of ['throw', 'string', 'reject']) await client.dispatch(boom, how);
    await waitFor(() => reported.length === 3, 'three reports');
    const byText = Object.fromEntries(
      reported.map(([error, rpc]) => [error instanceof Error ? error.message : String(error), { error, rpc }]),
    );
    expect(byText['thrown at once']?.rpc).toBe('boom');
    expect(byText['thrown at once']?.error).toBeInstanceOf(Error);
    expect(byText['a plain string']?.error).toBe('a plain string');
    expect(byText['rejected later']?.error).toBeInstanceOf(RangeError);
    expect(await client.dispatch(add, [1, 2])).toBe(3);
    expect(warnings).toEqual([]);
  });

  it("a connection's own onOneWayError hears of the one-way calls it serves to its peer", async () => {
    const reported: string[] = [];
    const { serverSide } = await h.pair(transport, {
      client: {
        implementations: failing(),
        onOneWayError: (error, rpc) => void reported.push(`${rpc}: ${(error as Error).message}`),
      },
    });
    await serverSide.dispatch(boom, 'throw');
    await waitFor(() => reported.length === 1, 'the report');
    expect(reported).toEqual(['boom: thrown at once']);
  });

  it('an onOneWayError that throws leaves the connection working and becomes a warning, with the original error', async () => {
    const warnings = recordWarnings();
    const { client } = await h.pair(transport, {
      server: {
        implementations: failing(),
        onOneWayError: () => {
          throw new Error('the handler is broken');
        },
      },
    });
    await client.dispatch(boom, 'throw');
    await waitFor(() => warnings.length === 2, 'two warnings');
    expect(warnings.map((w) => w.message)).toEqual([
      "onOneWayError threw while reporting one-way boom's error: Error: the handler is broken",
      'one-way boom threw: thrown at once',
    ]);
    expect(client.isClosed).toBe(false);
    expect(await client.dispatch(add, [2, 3])).toBe(5);
  });
});

describe('onOneWayError that is not a function', () => {
  it('is a TypeError at listen and at connect', async () => {
    const options = { onOneWayError: 'log it' as unknown as () => void };
    await expect(Server.listen({ address: h.address('unix'), implementations: [], ...options })).rejects.toThrow(
      /onOneWayError must be a function, got string/,
    );
    const server = await h.server('unix', { implementations: [Rpc.implement(note, () => undefined)] });
    await expect(Connection.connect({ address: server.address, ...options })).rejects.toThrow(TypeError);
  });
});
