/**
 * The remote agent: a small program the spawner runs on the other machine with `node -e` (its text travels on the
 * ssh command line: it holds no secret), one per host session. It starts workers there exactly as a local spawner
 * does — the remote `node`, the entry script, fd 3 for the control channel and fd 4 for the lifeline — and relays
 * their control channel, stdout, stderr and exit status over its own stdin/stdout as frames (agent-protocol.ts).
 *
 * Why an agent rather than the worker itself on ssh's stdio: ssh gives one input and two output streams per
 * session, and a worker needs a control channel both ways, a lifeline, its own stdout and stderr, exact exit
 * statuses and signals (the scheduler's SIGTERM). The agent multiplexes all of them, one ssh connection serves
 * every worker of the host (no sshd MaxStartups/MaxSessions limits hit by a map-reduce starting 32 workers), and
 * the worker code is the same as for local workers, lifeline thread included.
 *
 * The lifeline: the agent holds the write end of each worker's fd 4. When the spawner is gone — ssh's stdin at
 * end-of-file (spawner exit, crash, SIGKILL: the pipe closes with the process) or no heartbeat for `timeoutMs`
 * (network loss) — it closes them, and each worker's lifeline thread ends its process within 500 ms even if its
 * main thread is stuck in a loop; the agent SIGKILLs any left after 1 s, then exits. If the agent itself dies, the
 * lifelines close with it. Workers meant to outlive their spawner ('shutdown-called') are left alone, in their own
 * session (setsid) so that the end of the ssh session does not reach them.
 *
 * Written as plain JavaScript text (not a function's `toString()`: tsx's esbuild would add `__name` helpers that do
 * not exist on the other side), for any Node.js >= 20.19 without Cohort installed. Its frame numbers must match
 * agent-protocol.ts. It writes through its own non-blocking socket on fd 1, never `process.stdout` (synchronous on
 * pipes): a stalled ssh must not block the loop that watches the heartbeat.
 */
export const agentSource = String.raw`
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write('cohort agent: Node.js ' + process.version + ' on this machine is too old: Cohort needs Node.js >= 20.19 (point Hosts.ssh({ nodePath }) at a newer node)\n');
  process.exit(3);
}
const { spawn } = process.getBuiltinModule('node:child_process');
const fs = process.getBuiltinModule('node:fs');
const net = process.getBuiltinModule('node:net');
const path = process.getBuiltinModule('node:path');
const config = JSON.parse(process.argv[1] || '{}');
process.title = 'cohort-agent';
const HEADER = 9;
const MAX = 64 * 1024 * 1024;
const GRACE_MS = 1000;
// As for local workers (DRAIN_GRACE_MS): how long an exited worker's pipes may stay open before it counts as ended.
const FLUSH_MS = 2000;
const K = { launch: 1, control: 2, kill: 3, heartbeat: 4, hello: 10, launched: 11, launchFailed: 12, controlOut: 13, stdout: 14, stderr: 15, exit: 16, agentHeartbeat: 17 };
const out = new net.Socket({ fd: 1, readable: false, writable: true });
const input = new net.Socket({ fd: 0, readable: true, writable: false, allowHalfOpen: true });
const workers = new Map();
let lastHeard = performance.now();
let losing = false;
let paused = false;
const timers = [];

function frame(kind, id, body) {
  if (out.destroyed) return;
  const payload = body || Buffer.alloc(0);
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  if (!out.write(Buffer.concat([header, payload])) && !paused) {
    paused = true;
    for (const w of workers.values()) for (const s of w.sources) s.pause();
    out.once('drain', () => {
      paused = false;
      for (const w of workers.values()) for (const s of w.sources) s.resume();
    });
  }
}
function json(kind, id, value) {
  frame(kind, id, Buffer.from(JSON.stringify(value)));
}
out.on('error', () => lose('the channel to the spawner failed'));

function finishIfDone() {
  for (const w of workers.values()) if (!w.detached) return;
  process.exit(0);
}
function lose(why) {
  if (losing) return;
  losing = true;
  for (const t of timers) clearInterval(t);
  for (const w of workers.values()) if (!w.detached) w.lifeline.destroy();
  setTimeout(() => {
    for (const w of workers.values()) {
      if (!w.detached) {
        try { w.child.kill('SIGKILL'); } catch (e) {}
      }
    }
  }, GRACE_MS);
  setTimeout(() => process.exit(0), GRACE_MS + FLUSH_MS + 1000);
  finishIfDone();
}
process.on('SIGHUP', () => lose('SIGHUP'));
process.on('SIGTERM', () => lose('SIGTERM'));

function launch(id, spec) {
  if (losing) return;
  const fail = (message) => json(K.launchFailed, id, { message: message });
  let stat;
  try { stat = fs.statSync(spec.cwd); } catch (e) { return fail('the working directory ' + spec.cwd + ' does not exist there (' + e.code + ')'); }
  if (!stat.isDirectory()) return fail('the working directory ' + spec.cwd + ' is not a directory');
  const entry = path.resolve(spec.cwd, spec.entry);
  if (!fs.existsSync(entry)) return fail('the entry script ' + entry + ' does not exist there');
  let child;
  try {
    child = spawn(process.execPath, spec.execArgv.concat([entry], spec.args), {
      cwd: spec.cwd,
      env: Object.assign({}, process.env, spec.env),
      stdio: ['ignore', spec.stdout, 'pipe', 'pipe', 'pipe'],
      detached: spec.detached,
    });
  } catch (e) {
    return fail('cannot start ' + process.execPath + ': ' + e.message);
  }
  if (child.pid === undefined) {
    child.once('error', (e) => fail('cannot start ' + process.execPath + ': ' + e.message));
    return;
  }
  const control = child.stdio[3];
  const lifeline = child.stdio[4];
  const w = { child: child, control: control, lifeline: lifeline, detached: spec.detached, sources: [] };
  workers.set(id, w);
  const relay = (stream, kind) => {
    if (!stream) return;
    w.sources.push(stream);
    if (paused) stream.pause();
    stream.on('data', (chunk) => frame(kind, id, chunk));
    stream.on('error', () => {});
  };
  relay(child.stdout, K.stdout);
  relay(child.stderr, K.stderr);
  relay(control, K.controlOut);
  lifeline.on('error', () => {});
  child.on('error', () => {});
  child.once('exit', (code, signal) => {
    const ended = w.sources.map((s) => new Promise((resolve) => {
      if (s.readableEnded || s.destroyed) return resolve();
      s.once('end', resolve);
      s.once('close', resolve);
    }));
    let timer;
    const flushed = new Promise((resolve) => { timer = setTimeout(resolve, FLUSH_MS); });
    Promise.race([Promise.all(ended), flushed]).then(() => {
      clearTimeout(timer);
      workers.delete(id);
      control.destroy();
      lifeline.destroy();
      json(K.exit, id, { code: code, signal: signal });
      if (losing) finishIfDone();
    });
  });
  json(K.launched, id, { pid: child.pid });
}

function handle(kind, id, body) {
  if (kind === K.heartbeat) return;
  if (kind === K.launch) return launch(id, JSON.parse(body.toString('utf8')));
  const w = workers.get(id);
  if (w === undefined) return;
  if (kind === K.control) {
    if (!w.control.destroyed) w.control.write(body);
  } else if (kind === K.kill) {
    const signal = JSON.parse(body.toString('utf8')).signal;
    if (w.child.exitCode === null && w.child.signalCode === null) {
      try { w.child.kill(signal); } catch (e) {}
    }
  }
}

let buffered = Buffer.alloc(0);
input.on('data', (chunk) => {
  lastHeard = performance.now();
  buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
  while (buffered.length >= HEADER) {
    const length = buffered.readUInt32BE(0);
    if (length > MAX) return lose('a frame from the spawner is over the size limit: the stream is corrupt');
    if (buffered.length < HEADER + length) break;
    const kind = buffered.readUInt8(4);
    const id = buffered.readUInt32BE(5);
    const body = buffered.subarray(HEADER, HEADER + length);
    buffered = buffered.subarray(HEADER + length);
    try { handle(kind, id, body); } catch (e) { process.stderr.write('cohort agent: ' + ((e && e.stack) || e) + '\n'); }
  }
});
input.on('end', () => lose('the spawner closed the session'));
input.on('close', () => lose('the session closed'));
input.on('error', (e) => lose('session error: ' + e.message));

if (config.heartbeat) {
  const intervalMs = config.heartbeat.intervalMs;
  const timeoutMs = config.heartbeat.timeoutMs;
  timers.push(setInterval(() => frame(K.agentHeartbeat, 0), intervalMs));
  timers.push(setInterval(() => {
    if (performance.now() - lastHeard < timeoutMs) return;
    setImmediate(() => {
      const silent = Math.round(performance.now() - lastHeard);
      if (silent >= timeoutMs) lose('no heartbeat from the spawner for ' + silent + ' ms');
    });
  }, Math.max(10, Math.min(intervalMs, Math.floor(timeoutMs / 10)))));
}

const sshConnection = (process.env.SSH_CONNECTION || '').split(' ');
json(K.hello, 0, { pid: process.pid, serverAddress: sshConnection.length === 4 ? sshConnection[2] : undefined, node: process.version });
`;
