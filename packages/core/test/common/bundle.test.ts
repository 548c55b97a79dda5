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

/** The module specifiers a bundle imports or re-exports from (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|^import\s+"([^"]+)"/gm)].map(
    (match) => match[1] ?? match[2]!,
  );
  const dynamic = [...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((match) => match[1]!);
  return [...new Set([...specifiers, ...dynamic])];
}

describe('what a worker loads of Cohort', () => {
  // Each ESM module costs a worker memory and time to resolve, link and hold, beyond its code: a worker loads one
  // module of @cohort/core and one of @cohort/rpc, with msgpackr and p-defer inside them.
  const outside = (specifier: string): boolean => !specifier.startsWith('node:') && specifier !== 'zod';

  it('is one module of @cohort/core, which takes @cohort/rpc through one module', () => {
    const bundles = readdirSync(dists['@cohort/core']).filter((name) => name.endsWith('.js'));
    expect(bundles).toEqual(['index.js']);
    expect(importsOf(join(dists['@cohort/core'], 'index.js')).filter(outside)).toEqual(['@cohort/rpc/internal']);
  });

  it("is one module of @cohort/rpc, whose public entry only re-exports that module's classes", () => {
    const dist = dists['@cohort/rpc'];
    expect(
      readdirSync(dist)
        .filter((name) => name.endsWith('.js'))
        .sort(),
    ).toEqual(['index.js', 'internal.js']);
    expect(importsOf(join(dist, 'internal.js')).filter(outside)).toEqual([]);
    expect(importsOf(join(dist, 'index.js'))).toEqual(['./internal.js']);
  });
});
