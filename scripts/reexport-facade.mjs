// Writes a module that re-exports an entry's runtime exports from another built module:
//
//   node scripts/reexport-facade.mjs <entry.ts> <facade.js> <target specifier>
//
// @cohort/rpc is built as one bundle, dist/internal.js (the public API and what @cohort/core builds on), and
// dist/index.js only re-exports the public part of it. A worker then loads one module for the whole package
// instead of an entry, a shared chunk and the modules of its dependencies, and both entry points hand out the same
// classes (an RpcError from one is an instance of the other's).
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const [entry, facade, target] = process.argv.slice(2);
if (target === undefined) {
  console.error('usage: node scripts/reexport-facade.mjs <entry.ts> <facade.js> <target specifier>');
  process.exit(2);
}
// Bundled only to list its exports: esbuild drops the type-only ones, which have no place in JavaScript.
const result = await build({
  entryPoints: [entry],
  bundle: true,
  write: false,
  metafile: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: 'facade.js',
  logLevel: 'warning',
});
const names = Object.values(result.metafile.outputs).flatMap((output) => output.exports);
if (names.length === 0) {
  console.error(`${entry} exports nothing at run time`);
  process.exit(1);
}
writeFileSync(facade, `export { ${names.sort().join(', ')} } from ${JSON.stringify(target)};\n`);
