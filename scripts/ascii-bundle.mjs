// Rewrites the bundles in the given directory (its top-level .js files) to plain ASCII.
//
// esbuild escapes non-ASCII characters in strings and identifiers, but copies comments as they are, and a single
// "→" or "…" in a comment makes V8 hold the whole bundle as a two-byte string. Every worker loads these bundles as
// it starts: in a paired run on Node 24, importing @cohort/rpc then @cohort/core took about 12 + 22 ms with such a
// character in each, and about 9 + 14 ms without. Each non-ASCII UTF-16 unit becomes "?", so that every column
// (and the source maps, which count UTF-16 units) stays where it was. Only comments are affected.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: node scripts/ascii-bundle.mjs <dist directory>');
  process.exit(2);
}
for (const name of readdirSync(dir)) {
  if (!name.endsWith('.js')) continue;
  const file = join(dir, name);
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[\u0080-\uffff]/g, '?');
  if (ascii !== text) writeFileSync(file, ascii);
}
