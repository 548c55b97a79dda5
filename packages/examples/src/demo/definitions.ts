// Everything a worker process needs to find by name: worker types, tasks, messages, map-reduces. These run at
// the top level of every process of the demo (the master and each worker re-run this module).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { MapReduce, Message, Parallel, Task } from '@cohort/core';

export const Hasher = Parallel.make({
  name: 'demo-hasher',
  workerInit: z.object({ algorithm: z.enum(['sha256', 'sha1']) }),
  initWorkerState: ({ algorithm }) => ({ algorithm, calls: 0 }),
  functions: (f) => ({
    hash: f.rpc({
      input: z.string(),
      output: z.string(),
      run: (text, { workerState }) => {
        workerState.calls++;
        return createHash(workerState.algorithm).update(text).digest('hex').slice(0, 16);
      },
    }),
    primes: f.pipe({
      input: z.number().int().positive(),
      item: z.number(),
      run: async function* (limit) {
        const composite = new Uint8Array(limit + 1);
        for (let n = 2; n <= limit; n++) {
          if (composite[n] === 1) continue;
          yield n;
          for (let m = n * n; m <= limit; m += n) composite[m] = 1;
        }
      },
    }),
    /** Throws from a timer, after the call has returned: an uncaught exception in the worker. */
    crashLater: f.oneWay({
      input: z.void(),
      run: () => {
        setTimeout(() => {
          throw new Error('simulated crash in a timer');
        }, 50);
      },
    }),
    sleep: f.rpc({ input: z.number(), output: z.void(), run: (ms) => sleep(ms).then(() => undefined) }),
  }),
});

export const WordCount = MapReduce.define({
  name: 'demo-word-count',
  param: z.object({ minLength: z.number() }),
  input: z.string(),
  output: z.record(z.string(), z.number()),
  map: async ({ minLength }, path) => {
    // No prototype: words such as "constructor" must not find Object.prototype's members.
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const word of text.toLowerCase().match(/[a-z]{2,}/g) ?? []) {
      if (word.length >= minLength) counts[word] = (counts[word] ?? 0) + 1;
    }
    return counts;
  },
  combine: (a, b) => {
    const merged: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, a);
    for (const [word, n] of Object.entries(b)) merged[word] = (merged[word] ?? 0) + n;
    return merged;
  },
});

export const Progress = Message.define('demo-progress', z.object({ step: z.string(), percent: z.number() }));

export const Step = Task.define({
  name: 'demo-step',
  input: z.object({ name: z.string(), ms: z.number(), hang: z.boolean() }),
  output: z.string(),
  run: async ({ name, ms, hang }, ctx) => {
    if (hang) {
      // A step stuck in a way that ignores SIGTERM: only SIGKILL ends it.
      process.on('SIGTERM', () => undefined);
      for (;;) await sleep(100);
    }
    for (let percent = 0; percent <= 100; percent += 25) {
      ctx.send(Progress, { step: name, percent });
      await sleep(ms / 5);
    }
    return `${name}.out`;
  },
});
