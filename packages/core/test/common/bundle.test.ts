// The bundles every worker loads, @cohort/core's and @cohort/rpc's, are plain ASCII (scripts/ascii-bundle.mjs):
// one non-ASCII character, even in a comment, makes V8 hold a whole bundle as a two-byte string, which every worker
// pays for as it loads it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dists = {
  '@cohort/core': join(dirname(fileURLToPath(import.meta.url)), '../../dist'),
  '@cohort/rpc': dirname(fileURLToPath(import.meta.resolve('@cohort/rpc'))),
};

describe('the bundles in dist/', () => {
  it.each(Object.entries(dists))('of %s hold no character outside ASCII', (_name, dist) => {
    const bundles = readdirSync(dist).filter((name) => name.endsWith('.js'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const name of bundles) {
      const text = readFileSync(join(dist, name), 'latin1');
      const at = text.search(/[\u0080-\u00ff]/);
      expect(at === -1 ? 'ascii' : `${name}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`).toBe(
        'ascii',
      );
    }
  });
});

/** The module specifiers a bundle imports or re-exports from statically: what loading it loads. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|^import\s+"([^"]+)"/gm)].map(
    (match) => match[1] ?? match[2]!,
  );
  return [...new Set(specifiers)];
}

/** The files of `dist` a process loads with `entry` (its static imports, transitively), and what else they import. */
function staticClosure(dist: string, entry: string): { files: string[]; outside: string[] } {
  const files = new Set<string>();
  const outside = new Set<string>();
  const visit = (name: string): void => {
    if (files.has(name)) return;
    files.add(name);
    for (const specifier of importsOf(join(dist, name))) {
      if (specifier.startsWith('./')) visit(specifier.slice(2));
      else if (!specifier.startsWith('node:') && specifier !== 'zod') outside.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files], outside: [...outside] };
}

describe('what a worker loads of Cohort', () => {
  // Each ESM module costs a worker memory and time to resolve, link and hold, beyond its code: a worker loads two
  // modules of @cohort/core (its entry re-exports one chunk) and one of @cohort/rpc, with msgpackr and p-defer
  // inside them. What only a spawning process runs (hosts, spawning, pools, the map-reduce engine) is in chunks
  // of its own, loaded on first use.
  it('is two modules of @cohort/core, which takes @cohort/rpc through one module', () => {
    const dist = dists['@cohort/core'];
    const { files, outside } = staticClosure(dist, 'index.js');
    expect(files).toHaveLength(2);
    expect(outside).toEqual(['@cohort/rpc/internal']);
    // Only the entry's own small file loads the other chunks: a loader such as tsx rewrites each module that has a
    // dynamic import (its whole source, with a fine-grained source map), which for the main chunk cost ~10 MiB.
    const [, main] = files;
    expect(readFileSync(join(dist, main!), 'utf8')).not.toMatch(/\bimport\s*\(/);
    const lazy = readdirSync(dist).filter((name) => name.endsWith('.js') && !files.includes(name));
    expect(lazy.some((name) => name.startsWith('pool-'))).toBe(true);
    expect(lazy.some((name) => name.startsWith('ssh-agent-'))).toBe(true);
  });

  it("is one module of @cohort/rpc, whose public entry only re-exports that module's classes", () => {
    const dist = dists['@cohort/rpc'];
    expect(
      readdirSync(dist)
        .filter((name) => name.endsWith('.js'))
        .sort(),
    ).toEqual(['index.js', 'internal.js']);
    expect(staticClosure(dist, 'internal.js')).toEqual({ files: ['internal.js'], outside: [] });
    expect(importsOf(join(dist, 'index.js'))).toEqual(['./internal.js']);
  });
});
