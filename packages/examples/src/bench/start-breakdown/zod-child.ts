// The baseline: a node child that imports zod, says it is ready, and waits for its stdin to close. For the memory
// breakdown it can also import @cohort/core (`--core`) and start an idle worker thread like Cohort's lifeline
// watcher (`--thread`).
import { Worker } from 'node:worker_threads';

const startMark = (globalThis as { startMark?: (name: string) => void }).startMark ?? (() => undefined);
await import('zod');
startMark('modules: zod loaded');
if (process.argv.includes('--core')) {
  await import('@cohort/core');
  startMark('modules: @cohort/core loaded');
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
if (process.argv.includes('--thread')) {
  const thread = new Worker('setInterval(() => {}, 1 << 30)', { eval: true, execArgv: [] });
  thread.unref();
  startMark('worker thread: constructor returned');
  // Ready once the thread runs and has settled, so the RSS read next includes it.
  await new Promise((resolve) => thread.once('online', resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
}
process.stdout.write('ready\n');
