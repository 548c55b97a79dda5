// compile → link → unit-test: each module's source compressed (Brotli) chunk by chunk into an object, the objects
// linked into one program, and the program checked by decompressing every module back to its exact source bytes.
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { z } from 'zod';
import { sha256 } from '../artifact.js';
import { formatBytes } from '../format.js';
import { pack, unpack } from './container.js';
import { SourceIndex } from './sources.js';
import type { Recipe } from './step-io.js';

// zlib's async calls run on libuv's thread pool: the worker's event loop stays free to send progress meanwhile.
const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

const CHUNK_BYTES = 128 * 1024;
/** Brotli's quality 10 of 11: slow enough (about 0.4 s per MiB) that compiling is the build's main work. */
const QUALITY = 10;

const ObjectHeader = z.object({
  module: z.string(),
  sourceBytes: z.number(),
  sourceSha256: z.string(),
  /** Compressed size of each chunk, in order. */
  chunks: z.array(z.number()),
});
const ProgramHeader = z.object({
  objects: z.array(z.object({ module: z.string(), offset: z.number(), bytes: z.number() })),
});

export const compile: Recipe = async (io) => {
  const module = io.target.module;
  if (module === undefined) throw new Error(`${io.target.name}: a compile target names its module`);
  const entry = SourceIndex.parse(JSON.parse((await io.read('parse')).toString('utf8'))).modules[module];
  if (entry === undefined) throw new Error(`${io.target.name}: module "${module}" is not in parse/index.json`);
  const source = await io.readFile(entry);
  const chunks: Buffer[] = [];
  const count = Math.ceil(source.length / CHUNK_BYTES);
  let reported = 0;
  for (let offset = 0; offset < source.length; offset += CHUNK_BYTES) {
    const chunk = source.subarray(offset, offset + CHUNK_BYTES);
    chunks.push(
      await compress(chunk, {
        params: { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: chunk.length },
      }),
    );
    // A message per quarter, not per chunk: enough to watch it move, few enough to read as lines.
    const percent = Math.floor((chunks.length / count) * 4) * 25;
    if (percent > reported) {
      reported = percent;
      io.progress(percent, `compressed ${chunks.length}/${count} chunks`);
    }
  }
  const header: z.input<typeof ObjectHeader> = {
    module,
    sourceBytes: source.length,
    sourceSha256: entry.sha256,
    chunks: chunks.map((c) => c.length),
  };
  return io.write(`obj/${module}.o`, pack(header, chunks));
};

export const link: Recipe = async (io) => {
  const objects: { module: string; data: Buffer }[] = [];
  for (const dep of Object.keys(io.inputs).sort()) {
    const data = await io.read(dep);
    const { header } = unpack(data, ObjectHeader, io.inputs[dep]!.file);
    objects.push({ module: header.module, data });
    io.progress(
      (objects.length / Object.keys(io.inputs).length) * 100,
      `linked ${header.module} (${formatBytes(data.length)})`,
    );
  }
  let offset = 0;
  const layout = objects.map(({ module, data }) => {
    const placed = { module, offset, bytes: data.length };
    offset += data.length;
    return placed;
  });
  return io.write(
    'bin/app.bin',
    pack(
      { objects: layout } satisfies z.input<typeof ProgramHeader>,
      objects.map((o) => o.data),
    ),
  );
};

/** Every object of the program decompresses back to its source: same size, same sha256. */
export const unitTest: Recipe = async (io) => {
  const { header, body } = unpack(await io.read('link'), ProgramHeader, 'bin/app.bin');
  const report: string[] = [];
  for (const [i, placed] of header.objects.entries()) {
    const object = unpack(
      body.subarray(placed.offset, placed.offset + placed.bytes),
      ObjectHeader,
      `${placed.module}.o`,
    );
    const parts: Buffer[] = [];
    let at = 0;
    for (const size of object.header.chunks) {
      parts.push(await decompress(object.body.subarray(at, at + size)));
      at += size;
    }
    const source = Buffer.concat(parts);
    const digest = sha256(source);
    if (source.length !== object.header.sourceBytes || digest !== object.header.sourceSha256) {
      throw new Error(
        `${placed.module}: decompresses to ${source.length} bytes with sha256 ${digest.slice(0, 12)}, expected ${object.header.sourceBytes} with ${object.header.sourceSha256.slice(0, 12)}`,
      );
    }
    report.push(
      `ok ${placed.module}: ${object.header.chunks.length} chunks decompress to its ${source.length} source bytes (sha256 ${digest.slice(0, 12)})`,
    );
    io.progress(((i + 1) / header.objects.length) * 100, `${placed.module} round-trips`);
  }
  return io.write('test/unit.txt', `${report.join('\n')}\n`);
};
