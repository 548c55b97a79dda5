// Rewrites the comments of the bundles in the given directory (its top-level .js files) to plain ASCII.
//
// esbuild escapes non-ASCII characters in strings, template literals and identifiers, but copies comments as they
// are, and a single "→" or "…" in a comment makes V8 hold the whole bundle as a two-byte string. Every worker loads
// these bundles as it starts: in a paired run on Node 24, importing @cohort/rpc then @cohort/core took about
// 12 + 22 ms with such a character in each, and about 9 + 14 ms without. Each non-ASCII UTF-16 unit of a comment line
// becomes "?", so that every column (and the source maps, which count UTF-16 units) stays where it was. A non-ASCII
// character on any other line fails the build rather than change what the code says.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: node scripts/ascii-bundle.mjs <dist directory>');
  process.exit(2);
}
const nonAscii = /[\u0080-\uffff]/g;
const commentLine = /^\s*(\/\/|\/\*|\*)/;
for (const name of readdirSync(dir)) {
  if (!name.endsWith('.js')) continue;
  const file = join(dir, name);
  const lines = readFileSync(file, 'utf8').split('\n');
  let changed = false;
  for (const [index, line] of lines.entries()) {
    if (line.search(nonAscii) === -1) continue;
    if (!commentLine.test(line)) {
      console.error(`${file}:${index + 1}: a non-ASCII character outside a comment line; escape it in the source`);
      process.exit(1);
    }
    lines[index] = line.replace(nonAscii, '?');
    changed = true;
  }
  if (changed) writeFileSync(file, lines.join('\n'));
}
