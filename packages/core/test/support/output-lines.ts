// Numbered output lines, for the tests that prove a worker's output reaches its master in full and in order: the
// worker prints them (fixture side), the test finds them in the master's stdout, prefixed with the worker's name.

/** Lines of about 60 bytes: 20 000 of them make about 1.2 MB, far more than a pipe holds (64 KiB). */
const PADDING = '.'.repeat(48);

/** The `i`th line a worker prints, without its newline. */
export function numberedLine(i: number): string {
  return `line ${i} ${PADDING}`;
}

/** Prints `count` numbered lines to stdout, one write each (as a program logging line by line does). */
export function printNumberedLines(count: number, viaConsole = false): void {
  if (viaConsole) for (let i = 0; i < count; i++) console.log(numberedLine(i));
  else for (let i = 0; i < count; i++) process.stdout.write(`${numberedLine(i)}\n`);
}

export interface LinesFound {
  /** How many lines of the worker the output holds. */
  readonly count: number;
  /** The first line (by position among the worker's lines) that is not the expected one, or null. */
  readonly firstWrong: { readonly at: number; readonly line: string } | null;
  /** How many of the worker's lines come after the master's RESULT line (output forwarded after the exit). */
  readonly afterResult: number;
}

/**
 * The numbered lines of worker `name` in a master's stdout (`[<name>] line <i> …`), compared with what it printed:
 * a summary, so that a failure reads in one line rather than as a 20 000-line diff.
 */
export function findNumberedLines(stdout: string, name: string): LinesFound {
  const prefix = `[${name}] `;
  let count = 0;
  let firstWrong: LinesFound['firstWrong'] = null;
  let afterResult = 0;
  let resultSeen = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('RESULT ')) resultSeen = true;
    if (!line.startsWith(`${prefix}line `)) continue;
    if (firstWrong === null && line !== `${prefix}${numberedLine(count)}`)
      firstWrong = { at: count, line: line.slice(0, 100) };
    count++;
    if (resultSeen) afterResult++;
  }
  return { count, firstWrong, afterResult };
}
