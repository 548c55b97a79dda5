// Waiting for a process this program did not start: no 'exit' event comes, so the example asks the system.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Whether process `pid` has ended. A process re-parented to an init that never reaps it lingers as a zombie, which
 * `kill(pid, 0)` still finds although it runs nothing: on Linux, /proc tells the two apart.
 */
function hasEnded(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false; // not Linux: kill(pid, 0) said it runs
  }
}

/** Resolves once process `pid` has ended; rejects if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!hasEnded(pid)) {
    if (Date.now() > until) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Whether process `pid` still runs, right now. */
export function isRunning(pid: number): boolean {
  return !hasEnded(pid);
}
