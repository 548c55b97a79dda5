// The built-in's CommonJS object, not its ESM namespace, whose lazy getters load modules no worker needs.
const { readFileSync } = process.getBuiltinModule('node:fs');

/**
 * Whether process `pid` has ended. A process that ended but was not reaped yet (a zombie: its parent has not
 * collected its status, or it was re-parented to an init that never does) counts as ended: it runs nothing.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    // No /proc (not Linux), or gone in between: trust kill(pid, 0) above.
    return false;
  }
}
