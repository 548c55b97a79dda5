/**
 * The reaper: a small detached process (`node -e`, plain JavaScript, its own session so that neither a Ctrl-C nor a
 * SIGKILL of the master's process group reaches it) whose stdin is a pipe from the master that spawned it. The
 * master tells it, one line each, what Slurm jobs and steps it made (`pending <job name>`, `job <id>`, `step
 * <id>.<step>`, `stepdone <id>.<step>`), and asks it to `release <id>` an allocation it is done with (or to `forget <id>` one found gone). When its stdin
 * reaches end-of-file — the master exited, crashed or was SIGKILLed: the pipe closes with the process — it cancels
 * whatever is still listed (`scancel`), and exits.
 *
 * Why it is needed: Slurm ends nothing by itself when the processes that made a job die. An allocation made with
 * `salloc --no-shell` lives until it is cancelled or reaches its time limit; a step whose `srun` processes were all
 * SIGKILLed keeps running (with InactiveLimit=0, the default, forever). The steps' agents also end by themselves
 * when their srun's stdin closes or the heartbeat stops; the reaper is what ends the allocation, and what ends a
 * step if its srun could not tell it.
 */
export const reaperSource = String.raw`
if (typeof process.getBuiltinModule !== 'function') process.exit(3);
const { spawnSync } = process.getBuiltinModule('node:child_process');
const os = process.getBuiltinModule('node:os');
const config = JSON.parse(process.argv[1] || '{}');
process.title = 'cohort-slurm-reaper';
const jobs = new Set();
const steps = new Set();
let pendingName;
let done = false;
// Its own session already; a terminal's signals must not end it before it has cleaned up.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGPIPE']) process.on(signal, () => {});
function log(text) {
  try { process.stderr.write('cohort slurm reaper: ' + text + '\n'); } catch (e) {}
}
function scancel(args) {
  let last;
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = spawnSync(config.scancel || 'scancel', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10000 });
    if (r.status === 0) return;
    last = r.error ? r.error.message : (r.stderr || '').trim() || 'exit code ' + r.status;
    // Ended already (cancelled from outside, past its time limit): nothing left to do.
    if (/already completing or completed|Invalid job id/i.test(last)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  log('scancel ' + args.join(' ') + ' failed: ' + last);
}
function line(text) {
  const space = text.indexOf(' ');
  const verb = space === -1 ? text : text.slice(0, space);
  const arg = space === -1 ? '' : text.slice(space + 1);
  if (verb === 'pending') pendingName = arg;
  else if (verb === 'job') { jobs.add(arg); pendingName = undefined; }
  else if (verb === 'abandoned') pendingName = undefined;
  else if (verb === 'step') steps.add(arg);
  else if (verb === 'stepdone') steps.delete(arg);
  else if (verb === 'release') { jobs.delete(arg); scancel([arg]); }
  else if (verb === 'forget') jobs.delete(arg);
}
function finish() {
  if (done) return;
  done = true;
  // A request still pending has no id the master learnt of: its unique name finds it.
  if (pendingName) scancel(['--name', pendingName, '--user', os.userInfo().username]);
  const ids = [...jobs, ...[...steps].filter((step) => !jobs.has(step.split('.')[0]))];
  if (ids.length > 0) scancel(ids);
  process.exit(0);
}
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) !== -1) {
    line(buffer.slice(0, newline));
    buffer = buffer.slice(newline + 1);
  }
});
process.stdin.on('end', finish);
process.stdin.on('close', finish);
process.stdin.on('error', finish);
`;
