import { parseArgs } from 'node:util';

export const usage = `usage: make-build [--jobs N] [--trace FILE] [--fail TARGET] [--no-hang]
  -j, --jobs N      run up to N steps at once, each in its own worker process (default 2)
  --trace FILE      where to write the Chrome trace of the build (default: a file in the temp directory)
  --fail TARGET     make TARGET throw, to watch make -k skip what needs it (exit code 1)
  --no-hang         run integration-test without its seeded bug (it passes, and so does everything after it)`;

export interface BuildArgs {
  readonly jobs: number;
  readonly trace: string | undefined;
  readonly fail: string | undefined;
  readonly hang: boolean;
}

/** A command line this program does not understand; the message says what is wrong. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  override readonly name = 'UsageError';
}

export function parseBuildArgs(argv: readonly string[], targetNames: readonly string[]): BuildArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        jobs: { type: 'string', short: 'j', default: '2' },
        trace: { type: 'string' },
        fail: { type: 'string' },
        'no-hang': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new UsageError(`--jobs takes a whole number ≥ 1, got "${values.jobs}"`);
  if (values.fail !== undefined && !targetNames.includes(values.fail)) {
    throw new UsageError(`--fail ${values.fail}: no such target (targets: ${targetNames.join(', ')})`);
  }
  return { jobs, trace: values.trace, fail: values.fail, hang: !values['no-hang'] };
}
