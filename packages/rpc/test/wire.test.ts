// The wire layer on its own: frame decoding and writing, and the shape check of every message kind.
import { describe, expect, it } from 'vitest';
import { RpcError } from '../src/index.js';
import { FrameDecoder } from '../src/wire/frame-decoder.js';
import { decodePayload } from '../src/wire/codec.js';
import { FrameWriter, type FrameSink } from '../src/wire/frame-writer.js';
import { checkMessage, Kind, ProtocolViolation, type Message } from '../src/wire/messages.js';
import { encodeFrame } from './helpers.js';

function decoderInto(max = 1024) {
  const frames: Buffer[] = [];
  const decoder = new FrameDecoder(max, (payload) => frames.push(payload));
  return { frames, decoder };
}

const frame = (payload: number[]): Buffer => {
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  Buffer.from(payload).copy(out, 4);
  return out;
};

describe('FrameDecoder', () => {
  it('hands out a frame that fits in its chunk as a view of that chunk, without copying', () => {
    const { frames, decoder } = decoderInto();
    const chunk = Buffer.concat([frame([1, 2, 3]), frame([4])]);
    decoder.push(chunk);
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3], [4]]);
    expect(frames[0]?.buffer).toBe(chunk.buffer);
    expect(decoder.buffered).toBe(0);
  });

  it('reassembles frames split anywhere, including inside the header', () => {
    const bytes = Buffer.concat([frame([1, 2, 3, 4, 5]), frame([6, 7]), frame([8])]);
    for (let cut1 = 0; cut1 <= bytes.length; cut1++) {
      for (let cut2 = cut1; cut2 <= bytes.length; cut2++) {
        const { frames, decoder } = decoderInto();
        decoder.push(bytes.subarray(0, cut1));
        decoder.push(bytes.subarray(cut1, cut2));
        decoder.push(bytes.subarray(cut2));
        expect(frames.map((f) => [...f])).toEqual([[1, 2, 3, 4, 5], [6, 7], [8]]);
        expect(decoder.buffered).toBe(0);
      }
    }
  });

  it('accepts a frame of exactly maxMessageSize and refuses one byte more, from the header alone', () => {
    const { frames, decoder } = decoderInto(8);
    decoder.push(frame([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(frames).toHaveLength(1);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(9, 0);
    let thrown: unknown;
    try {
      decoder.push(header);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RpcError);
    expect(thrown).toMatchObject({ code: 'MESSAGE_TOO_BIG' });
    expect((thrown as Error).message).toContain('9-byte');
  });

  it('refuses an empty frame with PROTOCOL', () => {
    const { decoder } = decoderInto();
    expect(() => decoder.push(Buffer.from([0, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });

  it('counts what it holds for an incomplete frame', () => {
    const { decoder } = decoderInto();
    decoder.push(Buffer.from([0, 0]));
    expect(decoder.buffered).toBe(2);
    decoder.push(Buffer.from([0, 10, 1, 2, 3]));
    expect(decoder.buffered).toBe(3);
  });
});

describe('FrameWriter', () => {
  function sink() {
    const writes: Buffer[] = [];
    const s: FrameSink & { writes: Buffer[]; corks: number } = {
      writes,
      corks: 0,
      write: (chunk) => writes.push(Buffer.from(chunk)) > 0,
      cork: () => void s.corks++,
      uncork: () => undefined,
    };
    return s;
  }

  it('frames messages so the decoder reads them back, merging one tick of small frames into one write', async () => {
    const s = sink();
    const writer = new FrameWriter(s, 1024);
    const messages: Message[] = [[Kind.Heartbeat], [Kind.Query, 1, 'add', 0, [1, 2]], [Kind.Close, 'bye', null]];
    for (const m of messages) writer.send(m);
    expect(s.writes).toHaveLength(0);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(s.writes).toHaveLength(1);
    const { frames, decoder } = decoderInto();
    decoder.push(s.writes[0]!);
    expect(frames.map((f) => decodePayload(f))).toEqual(messages);
  });

  it('writes a burst 64 frames at a time, then the rest at the end of the tick, in order', async () => {
    const s = sink();
    const writer = new FrameWriter(s, 1024);
    const messages: Message[] = Array.from({ length: 150 }, (_, i) => [Kind.Result, i + 1, i]);
    for (const m of messages) writer.send(m);
    // Two bursts are out before the tick ends, so the peer can start on them.
    expect(s.writes).toHaveLength(2);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(s.writes).toHaveLength(3);
    const perWrite = s.writes.map((chunk) => {
      const { frames, decoder } = decoderInto();
      decoder.push(chunk);
      return frames.map((f) => decodePayload(f));
    });
    expect(perWrite.map((w) => w.length)).toEqual([64, 64, 22]);
    expect(perWrite.flat()).toEqual(messages);
  });

  it('refuses a message over maxMessageSize and queues nothing', async () => {
    const s = sink();
    const writer = new FrameWriter(s, 100);
    expect(() => writer.send([Kind.Result, 1, 'x'.repeat(200)], 'big')).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_BIG', rpc: 'big' }),
    );
    writer.flush();
    expect(s.writes).toHaveLength(0);
  });

  it('reports a value msgpack cannot carry as a TypeError', () => {
    const writer = new FrameWriter(sink(), 1024);
    expect(() => writer.send([Kind.Result, 1, Symbol('no')] as unknown as Message)).toThrow(TypeError);
  });

  it('writes big frames one by one (no merge copy) under cork', () => {
    const s = sink();
    const writer = new FrameWriter(s, 1 << 20);
    writer.send([Kind.Result, 1, new Uint8Array(100_000)]);
    writer.send([Kind.Result, 2, new Uint8Array(100_000)]);
    writer.flush();
    expect(s.writes).toHaveLength(2);
    expect(s.corks).toBe(1);
  });

  it('frames stay intact while later messages are packed (the packer reuses no bytes)', () => {
    const writer = new FrameWriter(sink(), 1 << 20);
    const first = writer.encode([Kind.Result, 1, 'a'.repeat(1000)]);
    const copy = Buffer.from(first);
    for (let i = 0; i < 2000; i++) writer.encode([Kind.Result, i, 'b'.repeat(i % 3000)]);
    expect(first.equals(copy)).toBe(true);
  });
});

/** A remote error whose cause chain is `depth` errors deep below it. */
function nested(depth: number): unknown {
  let error: unknown = { type: 'remote', name: 'E', message: `level ${depth}` };
  for (let level = depth - 1; level >= 0; level--)
    error = { type: 'remote', name: 'E', message: `level ${level}`, cause: error };
  return error;
}

describe('checkMessage', () => {
  const nonce = new Uint8Array(32);
  const valid: Message[] = [
    [Kind.Hello, 'cohort-rpc', 1, nonce, 'me'],
    [Kind.Auth, null],
    [Kind.Auth, nonce],
    [Kind.Menu, [['add', 0]]],
    [Kind.Menu, [['add', 0]], 65536],
    [Kind.Query, 1, 'add', 0, [1, 2]],
    [Kind.Query, 0, 'note', 0, undefined],
    [Kind.Result, 1, { any: 'thing' }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm' }],
    [Kind.Error, 1, { type: 'validation', side: 'input', what: 'input', issues: [{ path: [], message: 'x' }] }],
    [Kind.Error, 1, { type: 'rpc', code: 'TIMEOUT', message: 'm' }],
    [
      Kind.Error,
      1,
      {
        type: 'remote',
        name: 'E',
        message: 'm',
        stack: 's',
        code: 'E_X',
        data: [1],
        fields: { limit: 42 },
        cause: { type: 'remote', name: 'C', message: 'c', code: 7, cause: { type: 'value', value: { any: 'thing' } } },
        errors: [
          { type: 'value', value: 'plain' },
          { type: 'remote', name: 'F', message: 'f', errors: [] },
        ],
      },
    ],
    [Kind.DownItems, 1, [1, 2]],
    [Kind.UpItems, 1, []],
    [Kind.DownEnd, 1],
    [Kind.UpEnd, 1],
    [Kind.DownCredit, 1, 100],
    [Kind.UpCredit, 1, 0.5],
    [Kind.Cancel, 1, 'why'],
    [Kind.Heartbeat],
    [Kind.Close, 'bye', null],
    [Kind.Close, 'bye', 'PROTOCOL'],
  ];

  it.each(valid.map((m) => [m[0], m]))('accepts a well-formed message of kind %s', (_kind, message) => {
    const decoded = decodePayload(encodeFrame(message).subarray(4)) as unknown[];
    expect(checkMessage(decoded)).toBe(decoded);
  });

  const invalid: unknown[] = [
    null,
    42,
    'text',
    {},
    [],
    [-1],
    [Kind.Hello, 'cohort-rpc', 1, 'not bytes', 'me'],
    [Kind.Auth, 5],
    [Kind.Menu, [['add', -1]]],
    [Kind.Menu, 'add'],
    [Kind.Menu, [], 0],
    [Kind.Menu, [], 'big'],
    [Kind.Query, 1, 'add', 0],
    [Kind.Query, 2 ** 60, 'add', 0, null],
    [Kind.Result, 'one', 1],
    [Kind.Error, 1, null],
    [Kind.Error, 1, { type: 'validation', side: 'input', issues: [7] }],
    [Kind.Error, 1, { type: 'validation', side: 'sideways', issues: [] }],
    [Kind.Error, 1, { type: 'remote', name: 1, message: 'm' }],
    // The parts an error may carry besides its name and message, each malformed in turn.
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', code: { not: 'a code' } }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', code: null }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', fields: 'text' }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', fields: [1, 2] }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', cause: 'a bare value' }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', cause: null }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', cause: { type: 'rpc', code: 'TIMEOUT', message: 'm' } }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', cause: { type: 'remote', name: 2, message: 'm' } }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', errors: 'many' }],
    [Kind.Error, 1, { type: 'remote', name: 'E', message: 'm', errors: [{ type: 'value', value: 1 }, 7] }],
    [
      Kind.Error,
      1,
      { type: 'remote', name: 'E', message: 'm', errors: [{ type: 'remote', name: 'F', message: 'f', fields: 3 }] },
    ],
    [Kind.Error, 1, nested(65)],
    [
      Kind.Error,
      1,
      {
        type: 'remote',
        name: 'E',
        message: 'm',
        errors: Array.from({ length: 10_001 }, () => ({ type: 'value', value: 0 })),
      },
    ],
    [Kind.DownItems, 1, 'items'],
    [Kind.UpCredit, 1, 0],
    [Kind.UpCredit, 1, Number.NaN],
    [Kind.Cancel, 1, null],
    [Kind.Close, 1, null],
    [Kind.Close, 'bye', 5],
  ];

  it('accepts an error as deep and as crowded as the limits allow', () => {
    expect(() => checkMessage([Kind.Error, 1, nested(64)])).not.toThrow();
    const crowded = {
      type: 'remote',
      name: 'E',
      message: 'm',
      errors: Array.from({ length: 9_999 }, () => ({ type: 'value', value: 0 })),
    };
    expect(() => checkMessage([Kind.Error, 1, crowded])).not.toThrow();
  });

  it.each(invalid.map((m) => [(JSON.stringify(m) ?? String(m)).slice(0, 200), m]))(
    'refuses %s with a ProtocolViolation',
    (_text, message) => {
      expect(() => checkMessage(message)).toThrow(ProtocolViolation);
    },
  );
});
