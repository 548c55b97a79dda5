import { startServer, type ServerProcess } from './child-process.js';
import type { Readings, ReadingsSampler, Sampler } from './harness.js';
import { ANSWER_PREFIX, type SamplerAnswer, type SamplerRequest } from './sampler-serving.js';

// A bench child that runs the workloads itself (see sampler-serving.ts): the Cohort groups need one, because a
// Cohort master re-runs its entry script as its workers, and the bench's own process must not be that script.
// The child times each run itself; only the readings cross the pipe, so the pipe's latency is in no figure.

export interface SamplerProcess {
  readonly pid: number;
  /** Runs the named workload once in the child and returns its readings. */
  run(name: string, arg?: unknown): Promise<Readings>;
  /** A harness sampler for `run(name, arg)`. */
  readings(name: string, arg?: unknown): ReadingsSampler;
  /** A harness sampler for one reading of `run(name, arg)`. */
  sampler(name: string, reading: string, arg?: unknown): Sampler;
  /** Lets the child clean up (shut its workers and pools down) and exit; SIGKILL after `stopTimeoutMs`. */
  stop(): Promise<void>;
}

export async function startSamplerProcess(
  script: URL,
  options: { env?: NodeJS.ProcessEnv; stopTimeoutMs?: number } = {},
): Promise<SamplerProcess> {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (readings: Readings) => void; reject: (error: Error) => void }>();
  const onLine = (line: string): void => {
    if (!line.startsWith(ANSWER_PREFIX)) {
      // A worker's forwarded output, or a warning: worth seeing, but not on stdout, which holds the table.
      process.stderr.write(`${line}\n`);
      return;
    }
    const answer = JSON.parse(line.slice(ANSWER_PREFIX.length)) as SamplerAnswer;
    const waiter = waiting.get(answer.id);
    if (waiter === undefined) return;
    waiting.delete(answer.id);
    if ('error' in answer) waiter.reject(new Error(`bench: a workload failed in ${script.pathname}:\n${answer.error}`));
    else waiter.resolve(answer.readings);
  };
  const server: ServerProcess = await startServer(script, [], {
    onLine,
    ...(options.env === undefined ? {} : { env: options.env }),
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
  });
  void server.exited.then(({ code, signal }) => {
    for (const waiter of waiting.values())
      waiter.reject(new Error(`bench: ${script.pathname} exited (code ${code}, signal ${signal}) before answering`));
    waiting.clear();
  });
  const run = (name: string, arg?: unknown): Promise<Readings> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      const request: SamplerRequest = { id, name, arg };
      server.send(JSON.stringify(request));
    });
  return {
    pid: server.pid,
    run,
    readings: (name, arg) => () => run(name, arg),
    sampler: (name, reading, arg) => async () => {
      const readings = await run(name, arg);
      const value = readings[reading];
      if (value === undefined) throw new Error(`bench: workload "${name}" gave no reading "${reading}"`);
      return value;
    },
    stop: () => server.stop(),
  };
}
