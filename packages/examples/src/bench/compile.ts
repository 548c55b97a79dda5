// Compiles the bench's TypeScript to JavaScript, one file per module as `tsc` would emit it (the imports already
// name `.js` files), so the compiled bench runs under plain `node` as users run their compiled programs.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

async function typescriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Compiles every `.ts` under `sources` into `out` (emptied first), keeping the folder layout. */
export async function compileBench(sources: string, out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await build({
    entryPoints: await typescriptFiles(sources),
    outbase: sources,
    outdir: out,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    logLevel: 'warning',
  });
}
