// The baseline of the spawn and memory metrics: a node child (same binary, same flags and loader as a Cohort
// worker) that does nothing but say it is ready, then waits for its stdin to close. With `--zod` it first loads
// zod, which every Cohort worker loads too (the entry script's worker types are made of zod schemas): the
// difference between that child and a Cohort worker is what Cohort itself costs.
if (process.argv.includes('--zod')) await import('zod');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write('ready\n');
