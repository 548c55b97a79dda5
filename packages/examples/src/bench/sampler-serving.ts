// The child half of `sampler-process.ts`: a bench child that runs workloads on request and reports readings.
//
// Requests arrive on stdin, one JSON line each: `{"id":1,"name":"spawn.cohort","arg":{…}}`. Answers go to stdout
// as `@bench {"id":1,"readings":{…}}` (or `"error"`), so that other output (a Cohort worker's forwarded lines,
// prefixed `[name] `) can share stdout without being taken for an answer. Requests run one at a time: samples
// never overlap, exactly as when the harness samples in-process.
import type { Readings } from './harness.js';
import { serveUntilStdinCloses } from './server-side.js';

export const ANSWER_PREFIX = '@bench ';

/** A workload this process can run; `arg` is what the bench sent (the plan: sizes, worker counts). */
export type RemoteSampler = (arg: unknown) => Promise<Readings>;

export interface SamplerRequest {
  id: number;
  name: string;
  arg?: unknown;
}

export type SamplerAnswer = { id: number; readings: Readings } | { id: number; error: string };

/**
 * Serves `samplers` until the bench closes stdin; then `close` (given `graceMs`) and exit. A workload still
 * running then is not waited for: the bench is gone (or stopping), and its workers and pools must go with it.
 */
export function serveSamplers(
  samplers: Readonly<Record<string, RemoteSampler>>,
  close: () => Promise<void>,
  graceMs = 5000,
): void {
  let queue = Promise.resolve();
  let pending = '';
  const answer = (message: SamplerAnswer): void =>
    void process.stdout.write(`${ANSWER_PREFIX}${JSON.stringify(message)}\n`);
  const run = async (request: SamplerRequest): Promise<void> => {
    const sampler = samplers[request.name];
    try {
      if (sampler === undefined)
        throw new Error(`no sampler "${request.name}" (known: ${Object.keys(samplers).join(', ')})`);
      answer({ id: request.id, readings: await sampler(request.arg) });
    } catch (error) {
      answer({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  };
  // The bench may be gone (SIGKILLed) when an answer is written: not worth a crash on top of the exit under way.
  process.stdout.on('error', () => undefined);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    pending += text;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() === '') continue;
      const request = JSON.parse(line) as SamplerRequest;
      queue = queue.then(() => run(request));
    }
  });
  serveUntilStdinCloses(close, graceMs);
}
