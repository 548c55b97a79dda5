// Vitest's global setup for core: compiles src/ and the test fixtures (TypeScript, file by file, no bundling) to
// JavaScript in .test-build/, once per run. Fixtures then run under plain node, as a user's compiled program would,
// and so do the workers they spawn: under `--import tsx` each of those processes paid about half a second of CPU for
// tsx alone on Node 20 (a loader thread of its own), most of the suite's time on a 2-core machine. Fixtures that must
// run from TypeScript (tsx itself is what they test, or they edit their own source) ask for it (`tsx: true`).
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUILD_DIR_VARIABLE } from './build-dir.js';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function files(dir: string, pattern: RegExp): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[]).filter((file) => pattern.test(file));
}

/** The TypeScript to compile: every module but the tests themselves. */
function sources(dir: string): string[] {
  return files(dir, /\.ts$/)
    .filter((file) => !/\.test(-d)?\.ts$/.test(file))
    .map((file) => join(root, dir, file));
}

/** JavaScript beside it (`.mjs` helpers the fixtures import), copied as it is. */
function copyScripts(dir: string, outdir: string): void {
  for (const file of files(dir, /\.(mjs|cjs|js|json)$/)) {
    mkdirSync(dirname(join(outdir, dir, file)), { recursive: true });
    copyFileSync(join(root, dir, file), join(outdir, dir, file));
  }
}

export default async function setup(): Promise<void> {
  const outdir = join(root, '.test-build');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [...sources('src'), ...sources('test')],
    outdir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Stack traces and call sites point at the TypeScript lines (the fixtures run with --enable-source-maps).
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  copyScripts('test', outdir);
  process.env[BUILD_DIR_VARIABLE] = outdir;
}
