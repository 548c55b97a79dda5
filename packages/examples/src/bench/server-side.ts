// The child half of `child-process.ts`: what every bench server does once it listens.

/**
 * Tells the bench this server listens, and exits when the bench closes our stdin (or dies). `close` gets
 * `graceMs` to finish; past that the process exits anyway (whatever it started must then go by itself).
 */
export function serveUntilStdinCloses(close: () => Promise<void>, graceMs = 1000): void {
  let closing = false;
  const leave = (): void => {
    if (closing) return;
    closing = true;
    // A server that cannot close promptly must still go: the bench is waiting for our exit.
    setTimeout(() => process.exit(0), graceMs).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.stdin.on('end', leave);
  process.stdin.on('close', leave);
  process.stdin.on('error', leave);
  process.stdin.resume();
  process.stdout.write('ready\n');
}
