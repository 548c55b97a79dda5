// tinypool's worker module (child_process runtime): the same tiny task the Cohort workers run.
export default function add([a, b]: [number, number]): number {
  return a + b;
}
