// Smoke test of the private test cluster of .ci/setup-slurm itself, before any Hosts.slurm test relies on it: srun
// runs node as a job step, relays its stdin and stdout, gives it the job's environment, lets it reach this machine
// over TCP, and leaves no job behind.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitGone } from '../support/processes.js';
import {
  expectNoJobs,
  named,
  slurmCluster,
  slurmSkipReason,
  slurmSkipWarning,
  slurmUnavailableReason,
  uniqueJobName,
} from '../support/slurm.js';

const unavailable = slurmUnavailableReason();
if (unavailable !== undefined) console.warn(slurmSkipWarning(unavailable));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `srun <args>` with `input` on its stdin (then EOF); SIGTERMs it (which cancels its job) after `timeoutMs`. */
function srun(args: readonly string[], input: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('srun', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe.skipIf(unavailable !== undefined)(
  `the test Slurm cluster (${unavailable === undefined ? slurmCluster!.conf : slurmSkipReason})`,
  () => {
    it('srun runs node as a step that echoes its stdin to srun stdout, and leaves no job', async () => {
      const name = uniqueJobName('echo');
      const run = await srun(
        [
          '-J',
          name,
          '-p',
          slurmCluster!.partition,
          '-N1',
          '-n1',
          process.execPath,
          '-e',
          'process.stdin.pipe(process.stdout)',
        ],
        'hello slurm\nsecond line\n',
      );
      expect(run, run.stderr).toMatchObject({ code: 0, signal: null, stdout: 'hello slurm\nsecond line\n' });
      await expectNoJobs(15_000, named(name));
    });

    it("a step's task has the job's environment and reaches this machine over TCP on 127.0.0.1", async () => {
      const name = uniqueJobName('tcp');
      const server = createServer();
      const received = new Promise<string>((resolve) =>
        server.once('connection', (socket) => {
          let text = '';
          socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          socket.once('end', () => resolve(text));
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        const task = `
        const { SLURM_JOB_ID, SLURM_STEP_ID, SLURM_JOB_NAME, SLURM_JOB_PARTITION } = process.env;
        const socket = require('node:net').connect(${port}, '127.0.0.1', () =>
          socket.end(JSON.stringify({ SLURM_JOB_ID, SLURM_STEP_ID, SLURM_JOB_NAME, SLURM_JOB_PARTITION, pid: process.pid })));`;
        const run = await srun(
          ['-J', name, '-p', slurmCluster!.partition, '-N1', '-n1', process.execPath, '-e', task],
          '',
        );
        expect(run, run.stderr).toMatchObject({ code: 0, signal: null });
        const seen = JSON.parse(await received) as Record<string, string | number>;
        expect(seen).toMatchObject({
          SLURM_STEP_ID: '0',
          SLURM_JOB_NAME: name,
          SLURM_JOB_PARTITION: slurmCluster!.partition,
        });
        expect(seen.SLURM_JOB_ID).toMatch(/^\d+$/);
        await expectNoJobs(15_000, named(name));
        expect(await waitGone([seen.pid as number], 5_000)).toEqual([]);
      } finally {
        server.close();
      }
    });
  },
);
