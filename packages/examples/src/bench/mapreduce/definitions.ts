// The mapreduce group's map-reduces, defined at the top level of entry.ts's imports: each worker re-runs the
// entry script and finds them by name.
import { createHash } from 'node:crypto';
import { MapReduce } from '@cohort/core';
import { z } from 'zod';

export const CHUNK_BYTES = 64 * 1024;

/** The tiniest map there is: the cost of an item is all overhead. */
export const Increment = MapReduce.define({
  name: 'bench-increment',
  input: z.number(),
  output: z.number(),
  map: (_state, x) => x + 1,
});

/**
 * A CPU-bound map: SHA-256 of a 64 KiB chunk. The worker makes the chunk from the input's index (in a buffer it
 * keeps), so only an index and a 32-bit digest prefix cross the wire and the master stays idle: on a 2-core
 * machine, a master busy copying chunks would eat the core the second worker needs.
 */
export const HashChunk = MapReduce.define({
  name: 'bench-hash-chunk',
  input: z.number().int().nonnegative(),
  output: z.number(),
  init: () => ({ chunk: Buffer.alloc(CHUNK_BYTES, 0x5a) }),
  map: ({ chunk }, index) => {
    chunk.writeUInt32LE(index, 0);
    return createHash('sha256').update(chunk).digest().readUInt32LE(0);
  },
});
