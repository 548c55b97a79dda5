import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/common/fifo.js';
import { CallQueue } from '../../src/pool/call-queue.js';

type Op = { op: 'push'; value: number } | { op: 'unshift'; value: number } | { op: 'shift' };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
    fc.record({ op: fc.constant('unshift' as const), value: fc.integer() }),
    fc.constant({ op: 'shift' as const }),
  ),
  { maxLength: 5000 },
);

describe('Fifo', () => {
  it('behaves as an array used as a queue, through compaction and back-pushes', () => {
    fc.assert(
      fc.property(ops, (script: Op[]) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (const step of script) {
          if (step.op === 'push') {
            fifo.push(step.value);
            model.push(step.value);
          } else if (step.op === 'unshift') {
            fifo.unshift(step.value);
            model.unshift(step.value);
          } else expect(fifo.shift()).toBe(model.shift());
          expect(fifo.size).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
        }
        expect(fifo.drain()).toEqual(model);
        expect(fifo.size).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('takes 200 000 items from the front in linear time (no copy of the queue per shift)', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 200_000; i++) fifo.push(i);
    let sum = 0;
    for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) sum += item;
    expect(sum).toBe((200_000 * 199_999) / 2);
    expect(fifo.size).toBe(0);
  });
});

describe('CallQueue', () => {
  it('skips the calls that left while queued and counts only the rest', () => {
    const calls = Array.from({ length: 3000 }, (_, i) => ({ id: i, queued: true }));
    const queue = new CallQueue<{ id: number; queued: boolean }>();
    for (const call of calls) queue.push(call);
    for (const call of calls) {
      if (call.id % 3 === 0) {
        call.queued = false;
        queue.forget();
      }
    }
    expect(queue.size).toBe(2000);
    expect(queue.shift()?.id).toBe(1);
    queue.unshift(calls[1]!);
    const order: number[] = [];
    for (let call = queue.shift(); call !== undefined; call = queue.shift()) order.push(call.id);
    expect(order).toEqual(calls.filter((call) => call.id % 3 !== 0).map((call) => call.id));
    expect(queue.size).toBe(0);
    expect(queue.drain()).toEqual([]);
  });
});
