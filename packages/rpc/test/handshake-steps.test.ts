// The handshake's state machine on its own, two sides passing messages by hand: the socket tests
// (handshake.test.ts) prove the same through real connections; these pin each step's decision.
import { describe, expect, it } from 'vitest';
import { Handshake, type HandshakeOptions, type HandshakeStepResult } from '../src/protocol/handshake.js';
import { Kind, PROTOCOL_VERSION, ProtocolViolation, type Message } from '../src/wire/messages.js';

const side = (options: Partial<HandshakeOptions> & Pick<HandshakeOptions, 'role'>): Handshake =>
  new Handshake({ secret: 's3cret', menu: [], windowBytes: 1024, ...options });

function sent(step: HandshakeStepResult): Message {
  if (!('send' in step)) throw new Error(`expected a message to send, got ${JSON.stringify(step)}`);
  return step.send;
}

/** Runs both sides in lockstep (each answers the other's last message); returns what each learnt. */
function talk(client: Handshake, server: Handshake): { client: HandshakeStepResult; server: HandshakeStepResult } {
  const [clientAuth, serverAuth] = [
    sent(client.receive(server.hello('server'))),
    sent(server.receive(client.hello('client'))),
  ];
  const clientMenu = client.receive(serverAuth);
  const serverMenu = server.receive(clientAuth);
  if (!('send' in clientMenu) || !('send' in serverMenu)) return { client: clientMenu, server: serverMenu };
  return { client: client.receive(serverMenu.send), server: server.receive(clientMenu.send) };
}

describe('Handshake steps', () => {
  it('two sides with the same secret exchange menus and windows, and name each other', () => {
    const client = side({ role: 'client', menu: [['add', 1]], windowBytes: 4096 });
    const server = side({
      role: 'server',
      menu: [
        ['echo', 2],
        ['sum', 0],
      ],
    });
    const { client: c, server: s } = talk(client, server);
    expect(c).toEqual({ done: { menu: new Set(['echo@2', 'sum@0']), windowBytes: 1024 } });
    expect(s).toEqual({ done: { menu: new Set(['add@1']), windowBytes: 4096 } });
    expect([client.done, server.done]).toEqual([true, true]);
    expect([client.peerDescription, server.peerDescription]).toEqual(['server', 'client']);
  });

  it('different secrets: each side refuses the other with AUTH_FAILED and sends no menu', () => {
    const { client, server } = talk(
      side({ role: 'client', secret: 'a' }),
      side({ role: 'server', secret: new TextEncoder().encode('b') }),
    );
    for (const step of [client, server]) expect(step).toMatchObject({ fail: { code: 'AUTH_FAILED' } });
  });

  it('a side without a secret accepts any proof; the side with one refuses its missing proof', () => {
    const { client, server } = talk(side({ role: 'client', secret: undefined }), side({ role: 'server' }));
    expect(client).toHaveProperty('send');
    expect(server).toMatchObject({ fail: { code: 'AUTH_FAILED' } });
  });

  it('a proof made for the other role is refused', () => {
    const server = side({ role: 'server' });
    const twin = side({ role: 'server' });
    // The twin signs the server's nonce as a server would: a reflected proof, not a client's.
    const reflected = sent(twin.receive(server.hello('server')));
    server.receive(twin.hello('twin'));
    expect(server.receive(reflected)).toMatchObject({ fail: { code: 'AUTH_FAILED' } });
  });

  it('another protocol version fails with HANDSHAKE_FAILED naming both versions', () => {
    const hello = side({ role: 'client' }).hello('client') as [number, string, number, Uint8Array, string];
    const step = side({ role: 'server' }).receive([Kind.Hello, hello[1], PROTOCOL_VERSION + 1, hello[3], hello[4]]);
    expect(step).toMatchObject({ fail: { code: 'HANDSHAKE_FAILED' } });
    expect((step as { fail: { reason: string } }).fail.reason).toContain(
      `version ${PROTOCOL_VERSION + 1}, this side ${PROTOCOL_VERSION}`,
    );
  });

  it('another magic, or a message out of step, is a protocol violation', () => {
    const hello = side({ role: 'client' }).hello('client') as [number, string, number, Uint8Array, string];
    expect(() => side({ role: 'server' }).receive([Kind.Hello, 'not-cohort', hello[2], hello[3], hello[4]])).toThrow(
      ProtocolViolation,
    );
    expect(() => side({ role: 'server' }).receive([Kind.Menu, [], 1024])).toThrow(
      /kind 2 during the handshake \(hello step\)/,
    );
    expect(() => side({ role: 'server' }).receive([Kind.Query, 1, 'add', 1, [1, 2]])).toThrow(ProtocolViolation);
  });

  it('a description longer than 200 characters is cut', () => {
    const server = side({ role: 'server' });
    server.receive(side({ role: 'client' }).hello('x'.repeat(1000)));
    expect(server.peerDescription).toBe('x'.repeat(200));
  });
});
