import type { Connection } from '@cohort/rpc/internal';
import { removeIfEmpty, type SocketSpace } from '../app/socket-space.js';
import type { Bootstrap } from '../process/bootstrap.js';
import { processGone } from '../process/process-gone.js';

/**
 * Whether an exiting worker removes the app's socket directory (only if empty; an abstract socket space has none).
 * It belongs to the app's root process, which removes it when it exits normally. Once the root is gone (it may have been SIGKILLed), the last
 * worker out removes it; while the root lives, an empty directory is still its to spawn into, even if this
 * worker's own spawner (another worker) is gone.
 */
export function removesSocketDir(exit: {
  readonly lostSpawner: boolean;
  readonly spawnerIsRoot: boolean;
  readonly rootGone: boolean;
}): boolean {
  return (exit.lostSpawner && exit.spawnerIsRoot) || exit.rootGone;
}

/**
 * When and how a worker process ends: its shutdown condition (`shutdownOn`), its exit code, and the cleanup on the
 * way out. The worker's main module only reports; this decides.
 */
export class WorkerExitPolicy {
  #exiting = false;
  #shutdownConnection: Connection | undefined;
  #connectionTimer: NodeJS.Timeout | undefined;
  /** Read at start-up: once the spawner is gone, this process is re-parented. */
  readonly #spawnerIsRoot: boolean;

  constructor(
    private readonly bootstrap: Pick<Bootstrap, 'name' | 'shutdownOn' | 'connectionTimeoutMs' | 'rootPid'>,
    private readonly sockets: SocketSpace,
    private readonly closeServer: () => Promise<void>,
  ) {
    this.#spawnerIsRoot = bootstrap.rootPid !== undefined && process.ppid === bootstrap.rootPid;
  }

  /** Ends the process with `code`, once: closes the server, then cleans up the socket directory if it is ours to. */
  async exit(code: number, { lostSpawner = false }: { lostSpawner?: boolean } = {}): Promise<never> {
    if (!this.#exiting) {
      this.#exiting = true;
      clearTimeout(this.#connectionTimer);
      await this.closeServer().catch(() => undefined);
      const { rootPid } = this.bootstrap;
      // A worker with no root on its machine (a remote one) is a root itself: its own exit hook cleans up.
      if (!this.sockets.abstract && rootPid !== undefined) {
        if (removesSocketDir({ lostSpawner, spawnerIsRoot: this.#spawnerIsRoot, rootGone: processGone(rootPid) }))
          removeIfEmpty(this.sockets);
      }
      process.exit(code);
    }
    return new Promise<never>(() => undefined);
  }

  /** A `'connection-closed'` worker waits this long for its first connection, then exits 254. */
  armConnectionTimeout(): void {
    if (this.bootstrap.shutdownOn !== 'connection-closed') return;
    const { name, connectionTimeoutMs } = this.bootstrap;
    this.#connectionTimer = setTimeout(() => {
      process.stderr.write(`worker "${name}": no connection within ${connectionTimeoutMs} ms, exiting\n`);
      void this.exit(254);
    }, connectionTimeoutMs);
  }

  /** A connection is set up: for a `'connection-closed'` worker the first one is its life (exit 0 when it closes). */
  onConnectionReady(connection: Connection): void {
    if (this.bootstrap.shutdownOn !== 'connection-closed' || this.#shutdownConnection !== undefined) return;
    this.#shutdownConnection = connection;
    clearTimeout(this.#connectionTimer);
    void connection.closed.then(() => this.exit(0));
  }
}
