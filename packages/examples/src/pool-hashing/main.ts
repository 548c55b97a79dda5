// A CPU-bound job through a supervised pool, as piscina is used: every image of a batch gets a perceptual hash (aHash:
// 8 × 8 blocks of average brightness) and a SHA-256, on worker processes, with a timeout and recycling. One image is
// "corrupt" and sends the hashing into an endless loop: its call times out, its worker is stopped for real and
// replaced, and the rest of the batch goes on.
import { createHash } from 'node:crypto';
import { Parallel, startApp } from '@cohort/core';
import { z } from 'zod';

const Image = z.object({
  name: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  rgba: z.instanceof(Uint8Array),
});
type Image = z.infer<typeof Image>;

/** The aHash of an image: 64 bits, one per block of an 8 × 8 grid, set where the block is brighter than the mean. */
function averageHash({ width, height, rgba }: Image): string {
  const blockWidth = Math.floor(width / 8);
  const blockHeight = Math.floor(height / 8);
  const blocks = new Float64Array(64);
  let row = 0;
  // The bug the corrupt image finds: under 8 pixels high, blockHeight is 0, `top` never moves, the loop never ends.
  for (let top = 0; top < height; top += blockHeight, row++) {
    for (let column = 0; column < 8; column++) {
      let sum = 0;
      for (let y = top; y < top + blockHeight; y++) {
        for (let x = column * blockWidth; x < (column + 1) * blockWidth; x++) {
          const i = (y * width + x) * 4;
          sum += 0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!;
        }
      }
      if (row < 8) blocks[row * 8 + column] = sum / (blockWidth * blockHeight);
    }
  }
  const mean = blocks.reduce((a, b) => a + b, 0) / 64;
  return blocks
    .reduce((bits, block, i) => (block > mean ? bits | (1n << BigInt(i)) : bits), 0n)
    .toString(16)
    .padStart(16, '0');
}

// Declared at the top level, before startApp(): every pool worker re-runs this script and finds the type by name.
const ImageHasher = Parallel.make({
  name: 'image-hasher',
  functions: (f) => ({
    // What piscina calls the worker's exported function, with its input and output checked and typed.
    hash: f.rpc({
      input: Image,
      output: z.object({ aHash: z.string(), sha256: z.string(), pid: z.number() }),
      run: (image) => ({
        aHash: averageHash(image),
        sha256: createHash('sha256').update(image.rgba).digest('hex'),
        pid: process.pid,
      }),
    }),
  }),
});

await startApp(); // in a pool worker, this serves `image-hasher` and never returns

/** A 256 × 256 picture made up from `seed` (gradients and a disc), as raw RGBA. */
function picture(name: string, seed: number, width = 256, height = 256): Image {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const disc = (x - ((seed * 97) % width)) ** 2 + (y - ((seed * 61) % height)) ** 2 < 45 ** 2;
      rgba[i] = disc ? 250 : (x * seed) & 255;
      rgba[i + 1] = (y + seed * 13) & 255;
      rgba[i + 2] = ((x ^ y) + seed) & 255;
      rgba[i + 3] = 255;
    }
  }
  return { name, width, height, rgba };
}

const images = Array.from({ length: 40 }, (_, i) => picture(`photo-${String(i + 1).padStart(2, '0')}.rgba`, i + 1));
images.splice(13, 0, picture('corrupt.rgba', 99, 256, 4));

const pids = new Set<number>();
const began = performance.now();
{
  // piscina: new Piscina({ filename, maxThreads: 2 }) — here the worker is this program, its function typed.
  // timeoutMs: a call not done 5 s after `run` (time in the queue included) rejects with TIMEOUT; if it was running,
  // its worker is killed (SIGTERM, then SIGKILL) and replaced, since that is the only way to stop running code.
  // recycle: a worker that has served 20 calls is replaced by a fresh process, started at once.
  // `await using`: the pool is closed (draining) at the end of this block, however the block ends.
  await using pool = await ImageHasher.pool({ size: 2, timeoutMs: 5000, recycle: { maxCalls: 20 } });

  const outcomes = await Promise.allSettled(images.map((image) => pool.run(ImageHasher.functions.hash, image)));
  outcomes.forEach((outcome, i) => {
    const { name } = images[i]!;
    if (outcome.status === 'fulfilled') {
      const { aHash, sha256, pid } = outcome.value;
      pids.add(pid);
      console.log(`${name}  aHash ${aHash}  sha256 ${sha256.slice(0, 16)}…  worker pid ${pid}`);
    } else {
      const error = outcome.reason as Error & { code?: string };
      console.log(`${name}  failed: ${error.name} ${error.code}: ${error.message}`);
    }
  });

  const { completed, failed, replaced, waitMs, runMs } = pool.stats();
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  console.log(
    `\n${images.length} images in ${ms(performance.now() - began)}: ${completed} hashed, ${failed} failed, ${replaced} workers replaced`,
  );
  console.log(
    `waiting for a worker: p50 ${ms(waitMs.p50)}, p99 ${ms(waitMs.p99)}; hashing: p50 ${ms(runMs.p50)}, p99 ${ms(runMs.p99)}`,
  );
}
// The pool is closed: every worker has exited.
console.log(`served by ${pids.size} worker processes over the run`);
console.log(`worker pids: ${[...pids].join(' ')}`);
