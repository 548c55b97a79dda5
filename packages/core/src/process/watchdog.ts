import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../common/builtins.js';

/** What the watchdog shows as its name in `ps` (its `$0`), for people and for tests that tell it from workers. */
export const WATCHDOG_NAME = 'cohort-watchdog';

/** How long workers get to exit by themselves once their spawner is gone, before the watchdog SIGKILLs them. */
const GRACE_STEPS = 10;
const STEP_SECONDS = '0.05';

/**
 * The watchdog's script (POSIX sh). It reads `+<pid>` (watch) and `-<pid>` (forget) lines from its stdin, a pipe
 * only the spawner holds. End-of-file there means the spawner is gone, however it went (a SIGKILL too). The workers
 * then read the same end-of-file on their lifelines and exit 254 by themselves; any still alive after half a second
 * (a main thread stuck in `while (true) {}` reads nothing) gets SIGKILL. A terminal's Ctrl-C must not end it before
 * that: it ignores SIGINT, SIGHUP and SIGTERM, and exits as soon as no worker it watches is left.
 */
const SCRIPT = `trap '' INT HUP TERM PIPE
pids=' '
while IFS= read -r line; do
  case $line in
    +*) pids="$pids\${line#+} " ;;
    -*) p=\${line#-}
        case $pids in *" $p "*) pids="\${pids%% $p *} \${pids#* $p }" ;; esac ;;
  esac
done
step=0
while :; do
  alive=''
  for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
  [ -z "$alive" ] && exit 0
  pids=$alive
  [ "$step" -ge "$1" ] && break
  sleep "$2"
  step=$((step + 1))
done
kill -KILL $pids 2>/dev/null
exit 0
`;

/** How a watchdog is started: `/bin/sh -c <script> <args…>` (the remote agent starts its own the same way). */
export const watchdogCommand = {
  script: SCRIPT,
  args: [WATCHDOG_NAME, String(GRACE_STEPS), STEP_SECONDS],
} as const;

/**
 * What ends a local worker stuck in a loop once its spawner is gone: one small `/bin/sh` per spawning process,
 * started with its first watched worker, instead of a watcher thread in every worker (a Node worker thread is a V8
 * isolate of its own: +13 MiB and several milliseconds of every worker's start). A worker that is not stuck exits by
 * itself on its lifeline's end-of-file; the watchdog is only for those that cannot read it.
 *
 * Where no `/bin/sh` can be started (a distroless image), `watch` says so, and the worker watches its lifeline from
 * a thread of its own as before.
 */
class Watchdog {
  #child: ChildProcess | undefined;
  #unavailable = false;
  readonly #pids = new Set<number>();

  /** Watches `pid`; false if no watchdog can run here (the worker must then watch its lifeline itself). */
  watch(pid: number): boolean {
    const child = this.#running();
    if (child === undefined) return false;
    this.#pids.add(pid);
    this.#send(child, `+${pid}`);
    return true;
  }

  /** Stops watching `pid`: it exited (its pid may be reused), or it is meant to outlive its spawner. */
  forget(pid: number): void {
    if (!this.#pids.delete(pid)) return;
    const child = this.#child;
    if (child !== undefined) this.#send(child, `-${pid}`);
  }

  #running(): ChildProcess | undefined {
    if (this.#child !== undefined || this.#unavailable) return this.#child;
    let child: ChildProcess;
    try {
      child = childProcess().spawn('/bin/sh', ['-c', watchdogCommand.script, ...watchdogCommand.args], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    } catch {
      this.#unavailable = true;
      return undefined;
    }
    if (child.pid === undefined) {
      // The error event follows; nothing more to learn from it.
      child.on('error', () => undefined);
      this.#unavailable = true;
      return undefined;
    }
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    // Someone ended it while this process lives: another starts and is told every pid again (unless it cannot
    // even stay up for a second, which says no watchdog can run here).
    const startedAt = performance.now();
    child.once('exit', () => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (performance.now() - startedAt < 1000) this.#unavailable = true;
      else if (this.#pids.size > 0) this.#running();
    });
    // Watching is no reason to stay: the program ends when its work does, and its exit is the watchdog's cue.
    child.unref();
    (child.stdin as { unref?: () => void }).unref?.();
    this.#child = child;
    for (const pid of this.#pids) this.#send(child, `+${pid}`);
    return child;
  }

  #send(child: ChildProcess, line: string): void {
    child.stdin!.write(`${line}\n`);
  }
}

/** This process's watchdog (see Watchdog). */
export const watchdog = new Watchdog();
