// piscina's worker module (worker threads, its only mode): the same tiny task the Cohort workers run.
export default function add([a, b]: [number, number]): number {
  return a + b;
}
