import { readFile } from 'node:fs/promises';

/** Resident set size of another process in MiB, read from /proc (Linux; the bench machine's platform). */
export async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`bench: no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}
