// workerpool's worker script (process mode): the same tiny tasks the Cohort workers run.
import workerpool from 'workerpool';

workerpool.worker({
  add: (a: number, b: number): number => a + b,
  noop: (): void => undefined,
  increment: (x: number): number => x + 1,
});
