import { mkdtempSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private directory (mode 0700: mkdtemp's default) for the app's Unix sockets, so no other user can even reach
 * a worker's socket; the shared secret then keeps out other programs of the same user.
 */
export function createSocketDir(kept: () => ReadonlySet<string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-'));
  // Removed when the process exits normally; if the root is SIGKILLed, its workers remove it as the last leaves.
  process.once('exit', () => removeSocketDir(dir, kept()));
  return dir;
}

/**
 * Removes the directory, except the sockets in `kept`: those of workers that outlive this process
 * ('shutdown-called'), which must stay reachable. The last of them to exit removes the directory.
 */
function removeSocketDir(dir: string, kept: ReadonlySet<string>): void {
  if (kept.size === 0) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (!kept.has(path)) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Already gone.
  }
}

/** Removes the directory if it is empty (the last worker out); harmless otherwise. */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (other workers still live) or already gone.
  }
}
