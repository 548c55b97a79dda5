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
