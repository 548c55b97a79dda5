// The examples of @cohort/rpc alone and of MapReduce, run as their READMEs say (through tsx, as real processes) and
// proven to leave no process behind (runExample fails otherwise).
import { describe, expect, it } from 'vitest';
import { runExample } from './support/run-example.js';

describe('rpc and map-reduce examples', () => {
  it('rpc-hello: every kind of RPC once over a Unix socket, then a clean close', async () => {
    const run = await runExample('rpc-hello');
    expect(run.code, run.describe()).toBe(0);
    expect(run.lines).toEqual(
      expect.arrayContaining([
        'add: 3',
        'ticks: [ 0, 1, 2, 3, 4 ]',
        "book: [ 'Cohort', 'chapter 1', 'chapter 2' ]",
        'server got a note: hello',
        'uploaded: 3072',
        "closed: { by: 'local', reason: 'done' }",
      ]),
    );
  });

  it('word-count: counts words over real files on worker processes and prints the top 20', async () => {
    const run = await runExample('word-count');
    expect(run.code, run.describe()).toBe(0);
    const ranked = run.lines.filter((line) => /^\s*\d+\. \S+\s+[\d,]+$/.test(line));
    expect(ranked, run.describe()).toHaveLength(20);
    const summary = run.lines.find((line) => /^\d+ files in [\d.]+ s$/.test(line));
    expect(summary, run.describe()).toBeDefined();
    expect(Number(summary!.split(' ')[0])).toBeGreaterThan(100);
    // The map ran in worker processes, seen below the example while it ran (and gone now).
    expect(run.parents.size, run.describe()).toBeGreaterThan(0);
  });
});
