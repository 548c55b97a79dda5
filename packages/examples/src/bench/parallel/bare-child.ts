// The baseline of the spawn and memory metrics: a node child (same binary, same flags and loader as a Cohort
// worker) that does nothing but say it is ready, then waits for its stdin to close.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write('ready\n');
