import { hostname } from 'node:os';
import { AgentHost } from '../agent/agent-host.js';
import { terminateGroup } from '../agent/agent-session.js';
import type { LaunchedProcess, LaunchRequest } from '../host.js';
import { SlurmAllocation } from './allocation.js';
import type { SlurmHostOptions } from './slurm-options.js';
import type { SlurmHost } from './slurm-host.js';
import { childProcess, crypto } from '../../common/builtins.js';

/** srun ends a step's task with SIGKILL on SIGTERM within a second; past this, its step is cancelled by id. */
const SRUN_TERM_GRACE_MS = 10_000;

/** `Hosts.slurm` once a spawn needs it (see slurm-host.ts), from options already checked. */
export function slurmAgentHost(name: string, checked: SlurmHostOptions): SlurmHost {
  const given = checked.allocation ?? 'auto';
  const cpus = checked.cpusPerWorker ?? 1;
  const nodePath = checked.nodePath ?? 'node';
  let allocation: SlurmAllocation | undefined;
  const allocationOf = (): SlurmAllocation => {
    // Decided at the first spawn, not when the host is made: a worker re-runs the program's top level too.
    const jobId = given === 'auto' ? process.env['SLURM_JOB_ID'] : given === 'new' ? undefined : given;
    allocation ??=
      jobId !== undefined
        ? new SlurmAllocation({ jobId })
        : new SlurmAllocation({
            request: {
              jobName:
                checked.jobName ?? `cohort-${hostname()}-${process.pid}-${crypto().randomBytes(3).toString('hex')}`,
              partition: checked.partition,
              nodes: checked.nodes ?? 1,
              workers: checked.workers,
              cpusPerWorker: cpus,
              time: checked.time,
              account: checked.account,
              sallocArgs: checked.sallocArgs ?? [],
            },
          });
    return allocation;
  };
  const agentHost = new AgentHost({
    name,
    launcherName: 'srun',
    transport: checked.transport ?? 'auto',
    placement: checked,
    sessionPerWorker: true,
    // Without -u, srun passes output on only at a newline; with -u (in srunArgs) the agent gets a terminal instead.
    lineFlush: true,
    routeToVariable: 'SLURM_SRUN_COMM_HOST',
    command: async (agentArgv, request) => {
      const jobId = await allocationOf().acquire({ name: request.name, signal: request.signal, hostName: name });
      return {
        file: 'srun',
        args: [
          `--jobid=${jobId}`,
          `--job-name=${request.name.replace(/[\s\p{Cc}]/gu, '_')}`,
          '--nodes=1',
          '--ntasks=1',
          `--cpus-per-task=${cpus}`,
          '--exact',
          ...(checked.srunArgs ?? []),
          ...agentArgv,
        ],
      };
    },
    reach: (hello) => {
      const connectHost =
        checked.connectHost ?? hello.routeAddress ?? hello.addresses[0] ?? hello.slurm?.node ?? hello.hostname;
      return Promise.resolve({ connectHost, listenHost: checked.listenHost ?? hello.routeAddress ?? '0.0.0.0' });
    },
    startHint: (detail) =>
      `${detail}. Check that \`srun --jobid=<job> ${nodePath} --version\` prints the version of a Node.js >= 20.19 on the ` +
      'nodes (or set Hosts.slurm({ nodePath })), and that your program is at the same path there (a shared file system), or set entry and cwd',
    notFound:
      'srun was not found: install the Slurm client commands (salloc, srun, scancel, squeue), or put them on the PATH',
    // SIGTERM makes srun end its step (the task gets SIGKILL); a SIGKILL of srun alone would orphan the step, so
    // the step is cancelled by id if srun is still there after a grace period, and SIGKILLed only then.
    terminate: (child, hello) => {
      const step =
        hello?.slurm === undefined || hello.slurm.stepId === undefined
          ? undefined
          : `${hello.slurm.jobId}.${hello.slurm.stepId}`;
      if (child.exitCode !== null || child.signalCode !== null) {
        if (step !== undefined) childProcess().execFile('scancel', [step], () => undefined);
        return;
      }
      terminateGroup(child, SRUN_TERM_GRACE_MS);
      const timer = setTimeout(() => {
        if (step !== undefined) childProcess().execFile('scancel', [step], () => undefined);
      }, SRUN_TERM_GRACE_MS / 2);
      child.once('exit', () => clearTimeout(timer));
    },
    explainEnd: (tail) => {
      // slurmstepd's own words, "*** STEP 9.0 ON vm CANCELLED AT <time> [DUE TO TIME LIMIT] ***", said plainly.
      const cancelled = /\*\*\* (STEP|JOB) (\S+) ON (\S+) CANCELLED AT \S+(?: DUE TO ([^*]+?))? \*\*\*/.exec(tail);
      if (cancelled !== null) {
        const [, kind, id, node, due] = cancelled;
        return `Slurm cancelled ${kind === 'JOB' ? 'job' : 'job step'} ${id} on node ${node} ${due === undefined ? '(scancel, or its job ended)' : `due to ${due.toLowerCase()}`}`;
      }
      const lines = tail.split('\n').filter((line) => line.trim() !== '');
      const telling = lines.filter((line) =>
        /CANCELLED|TIME LIMIT|NODE[_ ]FAIL|PREEMPT|Unable to create step|error:/.test(line),
      );
      const chosen = (telling.length > 0 ? telling : lines).slice(-3);
      return chosen.length === 0 ? undefined : chosen.map((line) => line.trim()).join(' / ');
    },
    onSession: (session, hello) => {
      const slurm = hello.slurm;
      if (slurm?.stepId === undefined) return;
      const step = `${slurm.jobId}.${slurm.stepId}`;
      const alloc = allocationOf();
      alloc.stepStarted(step);
      void session.ended.then(() => {
        alloc.stepEnded(step);
        // The whole job was cancelled, or ran out of time: the next spawn needs a new allocation.
        if (/\*\*\* JOB \d+ ON .* (CANCELLED|DUE TO TIME LIMIT)/.test(session.launcherStderr()))
          alloc.markLost(slurm.jobId);
      });
    },
  });

  return {
    name,
    get jobId() {
      return allocation?.jobId;
    },
    launch: async (request: LaunchRequest): Promise<LaunchedProcess> => {
      try {
        return await agentHost.launch(request);
      } catch (error) {
        // A step refused because the job is gone (cancelled from outside): the next spawn makes a new allocation.
        const jobId = allocation?.jobId;
        if (
          jobId !== undefined &&
          /Invalid job id|already completing or completed|Job has been cancelled|has expired|Expired or invalid job/i.test(
            (error as Error).message,
          )
        ) {
          allocation?.markLost(jobId);
        }
        throw error;
      }
    },
    close: async () => {
      await allocation?.release();
      allocation = undefined;
    },
  };
}
