// The one binary layout objects and the linked program share: a JSON header, then raw bytes.
//   u32 (big-endian) header length | header (UTF-8 JSON) | body
import type { z } from 'zod';

export function pack(header: unknown, body: readonly Uint8Array[]): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, ...body]);
}

export function unpack<S extends z.ZodType>(
  data: Buffer,
  schema: S,
  what: string,
): { header: z.output<S>; body: Buffer } {
  if (data.length < 4) throw new Error(`${what}: truncated (${data.length} bytes)`);
  const length = data.readUInt32BE(0);
  if (4 + length > data.length) throw new Error(`${what}: header of ${length} bytes runs past the end`);
  const parsed = schema.safeParse(JSON.parse(data.subarray(4, 4 + length).toString('utf8')));
  if (!parsed.success) throw new Error(`${what}: bad header: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return { header: parsed.data, body: data.subarray(4 + length) };
}
