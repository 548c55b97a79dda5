import { now, type Sampler } from '../harness.js';
import type { Adder, RpcSubject } from './definitions.js';

// Each workload is written once against `RpcSubject` and run against both clients, so both do exactly the same
// operations on exactly the same payloads. Each returns a `Sampler` whose sample is in the metric's unit.

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`bench: wrong answer from the server (${what})`);
}

/** `calls` sequential `add` round trips; one sample is their mean latency in µs. */
export function sequentialLatency(subject: Adder, calls: number): Sampler {
  return async () => {
    const start = now();
    for (let i = 0; i < calls; i++) {
      const sum = await subject.add(i, 1);
      if (sum !== i + 1) expect(false, `add(${i}, 1) = ${sum}`);
    }
    return ((now() - start) * 1000) / calls;
  };
}

/** `total` `add` calls with `window` always outstanding; one sample is calls per second. */
export function windowedThroughput(subject: Adder, total: number, window: number): Sampler {
  return async () => {
    let issued = 0;
    const lane = async (): Promise<void> => {
      while (issued < total) {
        const i = issued++;
        const sum = await subject.add(i, 2);
        if (sum !== i + 2) expect(false, `add(${i}, 2) = ${sum}`);
      }
    };
    const start = now();
    await Promise.all(Array.from({ length: Math.min(window, total) }, lane));
    return total / ((now() - start) / 1000);
  };
}

/** Echoes `payload` once; one sample is MiB per second (payload size over the round trip time). */
export function echoThroughput(subject: RpcSubject, payload: Uint8Array<ArrayBuffer>): Sampler {
  const mib = payload.byteLength / (1024 * 1024);
  return async () => {
    const start = now();
    const back = await subject.echo(payload);
    const seconds = (now() - start) / 1000;
    expect(back.byteLength === payload.byteLength && back[back.length - 1] === payload[payload.length - 1], 'echo');
    return mib / seconds;
  };
}

/** Streams `0 … items-1` from the server once; one sample is items per second. */
export function streamThroughput(subject: Pick<RpcSubject, 'count'>, items: number): Sampler {
  const expectedSum = (items * (items - 1)) / 2;
  return async () => {
    const start = now();
    const result = await subject.count(items);
    const seconds = (now() - start) / 1000;
    expect(result.items === items && result.sum === expectedSum, `count(${items}) gave ${result.items} items`);
    return items / seconds;
  };
}
