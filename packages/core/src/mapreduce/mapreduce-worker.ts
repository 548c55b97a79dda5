import { ValidationError, approximateSize, describeThrown } from '@cohort/rpc/internal';
import { z } from 'zod';
import { lazily } from '../common/options.js';
import { deferWorkerType, defineWorkerType } from '../parallel/worker-type.js';
import { BATCH_BYTES } from './batch-sizer.js';
import { mapReduceDefs, type MapReduceFunctions } from './definition.js';

/**
 * Thrown by a worker when `map` or `combine` fails; `data.index` names the input. What the user's function threw is
 * its `cause` (carried whole to the master), and its stack is that error's frames: the line in `map` that threw,
 * not this module's.
 */
class MapError extends Error {
  override readonly name = 'MapError';
  constructor(
    message: string,
    readonly data: { index: number; name: string },
    cause: unknown,
  ) {
    super(message, { cause });
    const frames = framesOf(cause);
    if (frames !== undefined) this.stack = `${this.name}: ${message}\n${frames}`;
  }
}

/** A thrown value's class name for `data.name` (a name getter that throws must not replace the error). */
function nameOf(thrown: unknown): string {
  try {
    return thrown instanceof Error ? String(thrown.name) : 'NonError';
  } catch {
    return 'Error';
  }
}

/** The frames of a thrown error's stack (without its first line), when it is an error that has them. */
function framesOf(thrown: unknown): string | undefined {
  try {
    const stack: unknown = thrown instanceof Error ? thrown.stack : undefined;
    const at = typeof stack === 'string' ? stack.indexOf('\n    at ') : -1;
    return at === -1 ? undefined : (stack as string).slice(at + 1);
  } catch {
    return undefined;
  }
}

interface MapReduceWorkerState {
  readonly fns: MapReduceFunctions;
  readonly state: unknown;
}

const batchInput = lazily(() => z.object({ start: z.number(), items: z.array(z.unknown()), combine: z.boolean() }));
// `bytes`: the outputs' approximate size, so that the master shrinks batches whose replies are large.
const batchOutput = lazily(() =>
  z.object({
    outputs: z.array(z.unknown()).optional(),
    combined: z.unknown(),
    ms: z.number(),
    bytes: z.number(),
  }),
);

async function runBatch(
  { fns, state }: MapReduceWorkerState,
  { start, items, combine }: z.output<ReturnType<typeof batchInput>>,
): Promise<z.input<ReturnType<typeof batchOutput>>> {
  const began = performance.now();
  const { def } = fns;
  const outputs: unknown[] = combine ? [] : new Array(items.length);
  let combined: unknown;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const index = start + i;
    const input = def.input.safeParse(items[i]);
    if (!input.success) {
      throw new ValidationError({
        side: 'input',
        subject: `map-reduce ${def.name}`,
        issues: input.error.issues,
        what: `input ${index}`,
      });
    }
    let output: unknown;
    try {
      output = await fns.map(state, input.data);
    } catch (error) {
      throw new MapError(
        `map of ${def.name} threw on input ${index}: ${describeThrown(error)}`,
        { index, name: nameOf(error) },
        error,
      );
    }
    const checked = def.output.safeParse(output);
    if (!checked.success) {
      throw new ValidationError({
        side: 'output',
        subject: `map-reduce ${def.name}`,
        issues: checked.error.issues,
        what: `output of input ${index}`,
      });
    }
    if (!combine) {
      outputs[i] = checked.data;
      bytes += approximateSize(checked.data, BATCH_BYTES);
    } else if (i === 0) combined = checked.data;
    else {
      try {
        combined = await fns.combine!(combined, checked.data);
      } catch (error) {
        throw new MapError(
          `combine of ${def.name} threw at input ${index}: ${describeThrown(error)}`,
          { index, name: 'CombineError' },
          error,
        );
      }
    }
  }
  const ms = performance.now() - began;
  return combine ? { combined, ms, bytes: 0 } : { outputs, combined: undefined, ms, bytes };
}

const NAME = '__cohort.mapreduce';

/**
 * The worker type map-reduce workers run; `param` arrives once, in the spawn's `init`. Defined on first use (see
 * `deferWorkerType`).
 */
export const mapReduceWorker = deferWorkerType(NAME, () =>
  defineWorkerType({
    name: NAME,
    workerInit: z.object({ def: z.string(), param: z.unknown(), workerIndex: z.number() }),
    initWorkerState: async ({ def, param, workerIndex }): Promise<MapReduceWorkerState> => {
      const fns = mapReduceDefs.get(def);
      if (fns === undefined) {
        throw new Error(
          `map-reduce "${def}" is not defined by this program; define it with MapReduce.define at top level, before startApp()`,
        );
      }
      const parsed = fns.def.param.safeParse(param);
      if (!parsed.success)
        throw new ValidationError({
          side: 'input',
          subject: `map-reduce ${def}`,
          issues: parsed.error.issues,
          what: 'param',
        });
      return { fns, state: await fns.init(parsed.data, { workerIndex }) };
    },
    functions: (f) => ({
      mapBatch: f.rpc({
        input: batchInput(),
        output: batchOutput(),
        run: (input, { workerState }) => runBatch(workerState, input),
      }),
    }),
  }),
);
