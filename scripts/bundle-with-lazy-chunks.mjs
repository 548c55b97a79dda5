// Bundles a package entry so that what it imports dynamically (`import('./pool.js')`) loads on first use, from a
// file of its own, while everything the entry imports statically stays in one module:
//
//   node scripts/bundle-with-lazy-chunks.mjs <entry.ts> <outdir> [external package …]
//
// esbuild's code splitting puts code that several entry points share (a dynamic import target is one) into chunks
// by the set of entries that reach it, so the entry's own code would be cut into as many chunks as there are
// combinations, and a program would load them all at once: each ESM module costs a process memory beyond its code.
// Here each dynamic import target also imports the entry (it only runs after the entry has), so every module the
// entry reaches is reached by every entry point, and lands in one chunk: the entry's output re-exports that chunk,
// and the dynamically imported code is in chunks of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const [entry, outdir, ...external] = process.argv.slice(2);
if (outdir === undefined) {
  console.error('usage: node scripts/bundle-with-lazy-chunks.mjs <entry.ts> <outdir> [external package …]');
  process.exit(2);
}
const entryPath = resolve(entry);

/** The source files that some module of the entry's directory imports dynamically, by a relative path. */
function dynamicTargets(dir) {
  const targets = new Set();
  for (const item of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!item.isFile() || !item.name.endsWith('.ts')) continue;
    const file = join(item.parentPath, item.name);
    for (const match of readFileSync(file, 'utf8').matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)\.js'\s*\)/g)) {
      targets.add(resolve(dirname(file), `${match[1]}.ts`));
    }
  }
  return targets;
}
const targets = dynamicTargets(dirname(entryPath));

await build({
  entryPoints: [entryPath],
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  external,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  outdir,
  plugins: [
    {
      name: 'lazy-chunks-import-the-entry',
      setup(context) {
        context.onLoad({ filter: /\.ts$/ }, (args) => {
          if (!targets.has(args.path)) return undefined;
          const source = readFileSync(args.path, 'utf8');
          return { contents: `${source}\nimport ${JSON.stringify(entryPath)};\n`, loader: 'ts' };
        });
      },
    },
  ],
});
