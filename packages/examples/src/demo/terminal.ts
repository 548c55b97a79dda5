// Live progress when stdout is a terminal; plain lines when it is a pipe or a CI log.
const live = process.stdout.isTTY === true && process.env['CI'] === undefined;

let statusShown = false;

const colors = {
  bold: (s: string) => (live ? `\x1b[1m${s}\x1b[22m` : s),
  dim: (s: string) => (live ? `\x1b[2m${s}\x1b[22m` : s),
  green: (s: string) => (live ? `\x1b[32m${s}\x1b[39m` : s),
  red: (s: string) => (live ? `\x1b[31m${s}\x1b[39m` : s),
  cyan: (s: string) => (live ? `\x1b[36m${s}\x1b[39m` : s),
};
export const { bold, dim, green, red, cyan } = colors;

function clearStatus(): void {
  if (statusShown) process.stdout.write('\r\x1b[2K');
  statusShown = false;
}

/** A permanent line. */
export function say(text: string): void {
  clearStatus();
  process.stdout.write(`${text}\n`);
}

export function section(title: string): void {
  say('');
  say(bold(`▶ ${title}`));
}

let lastPlain = 0;

/** A status line that is redrawn in a terminal; in plain mode printed at most every 2 s (plus `force`). */
export function status(text: string, force = false): void {
  if (live) {
    process.stdout.write(`\r\x1b[2K${dim(text)}`);
    statusShown = true;
    return;
  }
  const now = Date.now();
  if (force || now - lastPlain > 2000) {
    lastPlain = now;
    process.stdout.write(`  … ${text}\n`);
  }
}

export function done(): void {
  clearStatus();
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A plain text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
