// Bundles a package entry so that what it imports dynamically (`import('./pool.js')`) loads on first use, from a
// file of its own, while everything the entry imports statically stays in one module:
//
//   node scripts/bundle-with-lazy-chunks.mjs <entry.ts> <outdir> [external package …]
//
// esbuild's code splitting puts code that several entry points share (a dynamic import target is one) into chunks
// by the set of entries that reach it, so the entry's own code would be cut into as many chunks as there are
// combinations, and a program would load them all at once: each ESM module costs a process memory beyond its code.
// Here each dynamic import target also imports a hub: every module the entry imports, but those that themselves
// import dynamically (it runs after the entry anyway). Everything the hub reaches is then reached by every entry
// point and lands in one chunk; the modules with dynamic imports stay in the entry's own file with the re-exports,
// and the dynamically imported code is in chunks of its own. The main chunk then holds no `import()`: a loader such
// as tsx rewrites each module that does (its source, with a fine-grained source map), at a cost of some MiB for a
// large one.
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
const hasDynamicImport = (file) => /(?<!typeof )\bimport\(/.test(readFileSync(file, 'utf8'));

/** The hub's source: a side-effect import of each module the entry imports, but those with dynamic imports. */
function hubSource() {
  const entrySource = readFileSync(entryPath, 'utf8');
  // Type-only re-exports load nothing.
  const valueImports =
    /^(?:export|import)\s+(?!type\b)[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)\.js'|^import\s+'(\.{1,2}\/[^']+)\.js'/gm;
  const imported = [...entrySource.matchAll(valueImports)]
    .map((match) => resolve(dirname(entryPath), `${match[1] ?? match[2]}.ts`))
    .filter((file) => !hasDynamicImport(file));
  return [...new Set(imported)].map((file) => `import ${JSON.stringify(file)};`).join('\n');
}

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
      name: 'lazy-chunks-import-the-hub',
      setup(context) {
        context.onResolve({ filter: /^lazy-chunks:hub$/ }, () => ({ path: 'hub', namespace: 'lazy-chunks' }));
        context.onLoad({ filter: /^hub$/, namespace: 'lazy-chunks' }, () => ({
          contents: hubSource(),
          loader: 'js',
          resolveDir: dirname(entryPath),
        }));
        context.onLoad({ filter: /\.ts$/ }, (args) => {
          if (!targets.has(args.path)) return undefined;
          const source = readFileSync(args.path, 'utf8');
          return { contents: `${source}\nimport 'lazy-chunks:hub';\n`, loader: 'ts' };
        });
      },
    },
  ],
});
