// Word count over real files with MapReduce: every .md, .ts and .d.ts file under the repository's node_modules,
// found lazily, read and counted in worker processes, merged with a commutative combine.
// Run: cd packages/examples && npx tsx src/word-count/main.ts [directory]
import { opendir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MapReduce, startApp } from '@cohort/core';
import { z } from 'zod';

type Counts = Record<string, number>;

// No prototype: words such as "constructor" or "tostring" must not meet Object.prototype's members.
const emptyCounts = (): Counts => Object.create(null) as Counts;

// Defined at top level, before startApp(): the workers re-run this script and find the definition by name.
const WordCount = MapReduce.define({
  name: 'word-count',
  param: z.object({ minLength: z.number().int().positive() }),
  input: z.string(),
  output: z.record(z.string(), z.number()),
  // Runs in a worker: the master sends only the file's path, the worker reads the file.
  map: async ({ minLength }, path) => {
    const counts = emptyCounts();
    const text = await readFile(path, 'utf8');
    for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
      if (word.length >= minLength) counts[word] = (counts[word] ?? 0) + 1;
    }
    return counts;
  },
  // Merging counts is associative and commutative, so batches may be combined in any order.
  combine: (a, b) => {
    const merged = Object.assign(emptyCounts(), a);
    for (const [word, n] of Object.entries(b)) merged[word] = (merged[word] ?? 0) + n;
    return merged;
  },
});

/**
 * Every .md, .ts and .d.ts file under `dir`, depth first, one directory listing at a time: the map-reduce pulls
 * paths only as fast as its workers take them. Symbolic links are not followed (pnpm's node_modules is full of
 * them: every package is reached once, through `.pnpm`).
 */
async function* textFiles(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await opendir(dir);
  } catch {
    return; // unreadable or vanished: skip it
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* textFiles(path);
    else if (entry.isFile() && /\.(md|ts)$/.test(entry.name)) yield path;
  }
}

await startApp();

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../../../../node_modules', import.meta.url)));
const began = performance.now();
const elapsed = (): string => `${((performance.now() - began) / 1000).toFixed(2)} s`;
let found = 0;
async function* counted(paths: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const path of paths) {
    found++;
    yield path;
  }
}

// Live progress: one rewritten line on a terminal, a line every second otherwise.
let lastShown = 0;
const showProgress = (done: number, final = false): void => {
  const now = performance.now();
  if (!final && now - lastShown < (process.stdout.isTTY ? 50 : 1000)) return;
  lastShown = now;
  const line = `${done} files counted, ${found} found so far, ${elapsed()}`;
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
  else process.stdout.write(`${line}\n`);
};

console.log(`Counting words in .md, .ts and .d.ts files under ${root}`);
let files = 0;
const counts = await MapReduce.mapReduceCommutative(WordCount, counted(textFiles(root)), {
  param: { minLength: 3 },
  onProgress: ({ done }) => {
    files = done;
    showProgress(done);
  },
});
showProgress(files, true);

const top = Object.entries(counts ?? {})
  .sort(([wa, a], [wb, b]) => b - a || (wa < wb ? -1 : 1))
  .slice(0, 20);
const width = Math.max(...top.map(([word]) => word.length), 4);
console.log(`\nTop ${top.length} words (of ${Object.keys(counts ?? {}).length} distinct, at least 3 letters):`);
for (const [i, [word, n]] of top.entries())
  console.log(`${String(i + 1).padStart(3)}. ${word.padEnd(width)} ${n.toLocaleString('en-US').padStart(10)}`);
console.log(`\n${files} files in ${elapsed()}`);
