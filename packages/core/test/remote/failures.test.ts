import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErrorReport } from '../support/fixture-report.js';
import { commandArgs, waitGone } from '../support/processes.js';
import { startFixture } from '../support/fixture-runner.js';
import { skipReason, sshTarget } from '../support/test-sshd.js';

/**
 * Runs a failing spawn; once it has rejected, every process it started (ssh client, agent, worker) must be gone
 * while the master lives on. Returns the error.
 */
async function failedSpawn(scenario: string): Promise<{ error: ErrorReport; after: number | null }> {
  const run = startFixture('remote/failures.ts', { ssh: true, args: [scenario] });
  let error: ErrorReport;
  let left: number[] = [];
  let leftWhat = '';
  try {
    error = await run.waitFor<ErrorReport>('FAILED', 30_000);
    const recorded = run.records().flatMap((r) => [r.pid, r.ppid]);
    // The bound covers the slowest legitimate path: an idle session's ssh that does not end on end-of-file gets
    // CLOSE_GRACE_MS (5 s), then SIGTERM and, 1 s later, SIGKILL (agent-session.ts).
    left = await waitGone([...new Set([...recorded.filter((pid) => pid !== run.pid), ...run.spawned()])], 10_000);
    leftWhat = left.map((pid) => `${pid}: ${commandArgs(pid)?.join(' ').slice(0, 200) ?? '(gone)'}`).join('\n');
  } finally {
    writeFileSync(join(run.dir, 'proceed'), '');
  }
  // Ends the run and kills (by pid) anything left before failing on it.
  const end = await run.finish().catch((failure: unknown) => failure as Error);
  expect(left, `processes left by the failed spawn:\n${leftWhat}\n${run.describe()}`).toEqual([]);
  if (end instanceof Error) throw end;
  expect(end.code, run.describe()).toBe(0);
  const line = end.stdout.split('\n').find((l) => l.startsWith('RESULT '))!;
  return { error, ...(JSON.parse(line.slice('RESULT '.length)) as { after: number | null }) };
}

describe.skipIf(sshTarget === undefined)(
  `Hosts.ssh: failed spawns reject clearly and leave nothing (${sshTarget === undefined ? skipReason : sshTarget.destination})`,
  () => {
    it('an entry script missing on the remote: SPAWN_FAILED naming it', async () => {
      const { error } = await failedSpawn('bad-entry');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(error.message).toContain('the entry script /nonexistent/cohort-entry.ts does not exist there');
      expect(error.message).toContain(`ssh:${sshTarget!.destination}`);
    });

    it('a working directory missing on the remote: SPAWN_FAILED naming it', async () => {
      const { error } = await failedSpawn('bad-cwd');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(error.message).toContain('the working directory /nonexistent/cohort-dir does not exist there');
    });

    it('no node at nodePath on the remote: SPAWN_FAILED saying the shell could not run it', async () => {
      const { error } = await failedSpawn('bad-node');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(error.message).toContain('/nonexistent/bin/node');
      expect(error.message).toMatch(/exited with code 127/);
      expect(error.message).toContain('Hosts.ssh({ nodePath })');
    });

    it("ssh cannot connect (nothing on that port): SPAWN_FAILED with ssh's own words", async () => {
      const { error } = await failedSpawn('bad-port');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(error.message).toMatch(/ssh exited with code 255 before the agent started: .*Connection refused/);
      expect(error.message).toMatch(/works without any prompt/);
    });

    it('ssh that never gets an answer: SPAWN_TIMEOUT after spawnTimeoutMs, ssh and its ProxyCommand ended', async () => {
      const { error } = await failedSpawn('hanging-ssh');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_TIMEOUT' });
      expect(error.message).toMatch(/no answer within the spawn's spawnTimeoutMs/);
    });

    it('initWorkerState throws on the remote: SPAWN_FAILED with its error; the host still serves the next spawn', async () => {
      const { error, after } = await failedSpawn('init-throws');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(error.message).toContain('RangeError: initWorkerState refuses start 3');
      expect(after).toBe(42);
    });

    it('a remote worker that does not get ready in time: SPAWN_TIMEOUT, and it is killed there', async () => {
      const { error, after } = await failedSpawn('init-too-slow');
      expect(error).toMatchObject({ name: 'CohortError', code: 'SPAWN_TIMEOUT' });
      expect(error.message).toMatch(/did not report ready within 6000 ms/);
      expect(after).toBe(42);
    });
  },
);
