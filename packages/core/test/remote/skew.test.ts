// Version skew (rpc_parallel refuses a remote binary whose md5 differs): a worker whose entry script defines its type
// differently from its spawner's refuses to serve, before initWorkerState, and the spawn fails with a message naming
// the function and how it differs. Locally (a launcher that runs an edited copy of the entry) and over ssh (`entry`).
import { describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

interface Outcome {
  served?: string;
  error?: { name: string; code?: string; message: string };
}

interface Result {
  outcomes: Record<string, Outcome>;
  inits: string[];
}

const EXPECTED: Record<string, string> = {
  'input-schema': 'function "put": its input schema differs',
  'output-schema': 'function "get": its output schema differs',
  kind: 'function "get" is f.rpc in the spawner but f.pipe in the worker',
  missing: 'function "get" is missing in the worker',
  extra: 'function "drop" is in the worker only',
  version: 'function "put" has version 0 in the spawner but 2 in the worker',
  'worker-init': 'its workerInit schema differs',
};

function expectSkew(outcome: Outcome | undefined, difference: string): void {
  expect(outcome?.error, JSON.stringify(outcome)).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
  const message = outcome!.error!.message;
  expect(message).toMatch(
    /^worker "vault-[\w-]+" \(type Vault, pid \d+\) failed to start: the entry script \S+skew-edited\.ts defines worker type "Vault" differently from the spawner \(version skew\): /,
  );
  expect(message).toContain(difference);
  expect(message).toContain('Run the same version of the program on both sides');
}

describe('a worker whose entry script defines its type differently (version skew)', () => {
  it('fails the spawn naming the function and how it differs (missing, extra, kind, version, which schema); equal types serve, key order aside', {
    timeout: 120_000,
  }, async () => {
    const { result } = await runFixture<Result>('remote/skew.ts', {
      // It edits a copy of its own TypeScript source.
      tsx: true,
      input: { mode: 'local' },
      timeoutMs: 100_000,
    });
    expect(result.outcomes['none']).toEqual({ served: 'none' });
    expect(result.outcomes['reordered']).toEqual({ served: 'reordered' });
    for (const [edit, difference] of Object.entries(EXPECTED)) expectSkew(result.outcomes[edit], difference);
    // A skewed worker never ran initWorkerState.
    expect(result.inits.sort()).toEqual(['none', 'reordered']);
  });

  it.skipIf(sshTarget === undefined)(
    `over ssh, with the host's \`entry\` an edited copy${sshTarget === undefined ? ` (skipped: ${skipReason})` : ''}`,
    { timeout: 120_000 },
    async () => {
      const { result } = await runFixture<Result>('remote/skew.ts', {
        tsx: true,
        ssh: true,
        input: { mode: 'ssh', edits: ['none', 'input-schema', 'missing'] },
        timeoutMs: 100_000,
      });
      expect(result.outcomes['none']).toEqual({ served: 'none' });
      expectSkew(result.outcomes['input-schema'], EXPECTED['input-schema']!);
      expectSkew(result.outcomes['missing'], EXPECTED['missing']!);
      expect(result.inits).toEqual(['none']);
    },
  );
});
