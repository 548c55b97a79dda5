import { watchdogCommand } from '../../process/watchdog.js';

/**
 * The agent: a small program the spawner runs on the worker's machine with `node -e` through a launcher whose
 * stdin and stdout reach it (ssh, srun, `kubectl exec -i`, `docker exec -i`, a wrapper script: its text travels on
 * the command line, it holds no secret), one per host session. It starts workers there exactly as a local spawner
 * does — the local `node`, the entry script, fd 3 for the control channel and fd 4 for the lifeline — and relays
 * their control channel, stdout, stderr and exit status over its own stdin/stdout as frames (agent-protocol.ts).
 *
 * Why an agent rather than the worker itself on the launcher's stdio: a launcher gives one input and two output
 * streams, and a worker needs a control channel both ways, a lifeline, its own stdout and stderr, exact exit
 * statuses and signals (the scheduler's SIGTERM). The agent multiplexes all of them, one launcher process serves
 * every worker of the host (no sshd MaxStartups/MaxSessions limits hit by a map-reduce starting 32 workers), and
 * the worker code is the same as for local workers, the watchdog included.
 *
 * Tunnels: when the spawner cannot reach a worker by TCP (a pod, a NAT, a firewall, a cluster node), it asks the
 * agent to open a tunnel to the worker's socket on this machine, and the worker's connection (its RPC handshake
 * included, end to end: the agent sees only bytes it cannot forge) travels in frames over the same stdio. Each
 * tunnel has credit-based flow control both ways (see agent-protocol.ts): the agent reads a worker's socket only
 * while it holds credit for that tunnel, and gives credit back once the worker's socket has taken the bytes.
 *
 * The lifeline: the agent holds the write end of each worker's fd 4. When the spawner is gone — stdin at
 * end-of-file (spawner exit, crash, SIGKILL: the pipe closes with the process), no heartbeat for `timeoutMs`
 * (network loss), or a SIGTERM/SIGHUP (a Slurm job cancelled, a pod deleted) — it closes them, each worker reads
 * the end-of-file and exits, and the agent SIGKILLs any left after 1 s (a main thread stuck in a loop reads
 * nothing), then exits. If the agent itself dies, even by SIGKILL, the lifelines close with it, and its watchdog (a
 * /bin/sh, as a local spawner's) SIGKILLs the workers still alive 0.5 s later; where no /bin/sh runs, each worker
 * watches its lifeline from a thread of its own instead. Workers meant to outlive their spawner ('shutdown-called')
 * are left alone, in their own session (setsid).
 *
 * Output: the first frame of an event-loop turn is written at once (a tunnelled reply waits for nothing), and the
 * frames after it in the same turn are merged into one write when the turn ends. A launcher that holds output until
 * a newline (srun without `-u`) gets a pad frame ending in one after every write (`lineFlush`); a launcher that
 * gives the agent a terminal (srun `-u`) gets its frames through a non-blocking tty stream (a net.Socket cannot own
 * a tty).
 *
 * Written as plain JavaScript text (not a function's `toString()`: tsx's esbuild would add `__name` helpers that do
 * not exist on the other side), for any Node.js >= 20.19 without Cohort installed. Its frame numbers must match
 * agent-protocol.ts. It never writes through `process.stdout` (synchronous on pipes): a stalled launcher must not
 * block the loop that watches the heartbeat.
 */
export const agentSource = String.raw`
const WATCHDOG = ${JSON.stringify(watchdogCommand)};
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write('cohort agent: Node.js ' + process.version + ' on this machine is too old: Cohort needs Node.js >= 20.19 (point the host\'s nodePath at a newer node)\n');
  process.exit(3);
}
const { spawn } = process.getBuiltinModule('node:child_process');
const fs = process.getBuiltinModule('node:fs');
const net = process.getBuiltinModule('node:net');
const os = process.getBuiltinModule('node:os');
const path = process.getBuiltinModule('node:path');
const tty = process.getBuiltinModule('node:tty');
const dgram = process.getBuiltinModule('node:dgram');
const crypto = process.getBuiltinModule('node:crypto');
const config = JSON.parse(process.argv[1] || '{}');
process.title = 'cohort-agent';
const HEADER = 9;
const MAX = 64 * 1024 * 1024;
const MERGE = 64 * 1024;
const GRACE_MS = 1000;
// As for local workers (DRAIN_GRACE_MS): how long an exited worker's pipes may stay open before it counts as ended.
const FLUSH_MS = 2000;
const K = { pad: 0, launch: 1, control: 2, kill: 3, heartbeat: 4, tunnelOpen: 5, hello: 10, launched: 11, launchFailed: 12, controlOut: 13, stdout: 14, stderr: 15, exit: 16, agentHeartbeat: 17, bye: 18, tunnelOpened: 19, tunnelFailed: 20, tunnelData: 24, tunnelCredit: 25, tunnelEnd: 26, tunnelReset: 27 };

function die(message) {
  process.stderr.write('cohort agent: ' + message + '\n');
  process.exit(3);
}
function openOutput() {
  if (tty.isatty(1)) {
    // srun -u, or a launcher asked for a terminal: tty streams block by default, which would stall this loop.
    const stream = new tty.WriteStream(1);
    if (stream._handle && stream._handle.setBlocking) stream._handle.setBlocking(false);
    return stream;
  }
  try { return new net.Socket({ fd: 1, readable: false, writable: true }); }
  catch (e) { return die('stdout is not a pipe or a socket (' + e.message + '): the launcher must relay it'); }
}
function openInput() {
  if (tty.isatty(0)) {
    const stream = new tty.ReadStream(0);
    stream.setRawMode(true);
    return stream;
  }
  try { return new net.Socket({ fd: 0, readable: true, writable: false, allowHalfOpen: true }); }
  catch (e) { return die('stdin is not a pipe or a socket (' + e.message + '): the launcher must relay it (kubectl exec -i, docker exec -i)'); }
}
const out = openOutput();
const input = openInput();
const workers = new Map();
const tunnels = new Map();
let lastHeard = performance.now();
let losing = false;
let paused = false;
let exiting = false;
const timers = [];

// ---- output: frames batched per turn of the event loop -------------------------------------------------------
let queue = [];
let queued = 0;
let scheduled = false;
const PAD = Buffer.from([0, 0, 0, 1, K.pad, 0, 0, 0, 0, 10]);
function frame(kind, id, body) {
  if (out.destroyed) return;
  const length = body === undefined ? 0 : body.length;
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(length, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32BE(id, 5);
  queue.push(header);
  queued += HEADER;
  if (length > 0) {
    queue.push(body);
    queued += length;
  }
  if (!scheduled) {
    // The first frame of a turn of the event loop goes out at once, so that a lone reply waits for nothing (a
    // tunnelled round trip crosses this process twice); the frames after it in the same turn are merged into one
    // write when the turn ends.
    scheduled = true;
    setImmediate(endTurn);
    flush();
  }
}
function json(kind, id, value) {
  frame(kind, id, Buffer.from(JSON.stringify(value)));
}
function endTurn() {
  scheduled = false;
  flush();
}
function flush() {
  if (queue.length === 0 || out.destroyed) return;
  if (config.lineFlush) {
    queue.push(PAD);
    queued += PAD.length;
  }
  const chunks = queue;
  const total = queued;
  queue = [];
  queued = 0;
  let ok;
  if (total <= MERGE) ok = out.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
  else {
    out.cork();
    for (const chunk of chunks) ok = out.write(chunk);
    out.uncork();
  }
  if (!ok && !paused) {
    paused = true;
    for (const w of workers.values()) for (const s of w.sources) s.pause();
    out.once('drain', () => {
      paused = false;
      for (const w of workers.values()) for (const s of w.sources) s.resume();
    });
  }
}
out.on('error', () => lose('the channel to the spawner failed'));

// ---- ending ----------------------------------------------------------------------------------------------------
function exitNow() {
  if (exiting) return;
  exiting = true;
  flush();
  if (out.destroyed || out.writableLength === 0) process.exit(0);
  out.once('drain', () => process.exit(0));
  setTimeout(() => process.exit(0), 1000);
}
function finishIfDone() {
  for (const w of workers.values()) if (!w.detached) return;
  exitNow();
}
function lose(why) {
  if (losing) return;
  losing = true;
  json(K.bye, 0, { why: why });
  for (const t of timers) clearInterval(t);
  for (const t of tunnels.values()) t.socket.destroy();
  for (const w of workers.values()) if (!w.detached) w.lifeline.destroy();
  setTimeout(() => {
    for (const w of workers.values()) {
      if (!w.detached) {
        try { w.child.kill('SIGKILL'); } catch (e) {}
      }
    }
  }, GRACE_MS);
  setTimeout(exitNow, GRACE_MS + FLUSH_MS + 1000);
  finishIfDone();
}
process.on('SIGHUP', () => lose('the agent was sent SIGHUP'));
process.on('SIGTERM', () => lose('the agent was sent SIGTERM'));

// ---- watchdog --------------------------------------------------------------------------------------------------
// As a local spawner has (process/watchdog.ts): one /bin/sh that SIGKILLs this agent's workers once its stdin, a
// pipe only the agent holds, reaches end-of-file, so that a worker stuck in a loop dies with the agent even when
// the agent is SIGKILLed. Its workers then watch their lifelines from their main threads, without a thread each.
// Where no /bin/sh runs, the agent says so in 'launched' and the worker keeps its lifeline thread.
let watchdog;
let watchdogUnavailable = false;
const watchedPids = new Set();
function watchdogRunning() {
  if (watchdog !== undefined || watchdogUnavailable) return watchdog;
  let child;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG.script].concat(WATCHDOG.args), { stdio: ['pipe', 'ignore', 'ignore'] });
  } catch (e) {
    watchdogUnavailable = true;
    return undefined;
  }
  child.on('error', () => {});
  if (child.pid === undefined) {
    watchdogUnavailable = true;
    return undefined;
  }
  child.stdin.on('error', () => {});
  // Ended by someone while the agent lives: another starts and is told every pid again, unless it cannot even stay
  // up for a second (then no watchdog can run here).
  const startedAt = performance.now();
  child.once('exit', () => {
    if (watchdog !== child) return;
    watchdog = undefined;
    if (performance.now() - startedAt < 1000) watchdogUnavailable = true;
    else if (watchedPids.size > 0) watchdogRunning();
  });
  child.unref();
  if (child.stdin.unref) child.stdin.unref();
  watchdog = child;
  for (const pid of watchedPids) child.stdin.write('+' + pid + '\n');
  return child;
}
function watch(pid) {
  const child = watchdogRunning();
  if (child === undefined) return false;
  watchedPids.add(pid);
  child.stdin.write('+' + pid + '\n');
  return true;
}
function unwatch(pid) {
  if (!watchedPids.delete(pid)) return;
  if (watchdog !== undefined && !watchdog.stdin.destroyed) watchdog.stdin.write('-' + pid + '\n');
}

// ---- workers ---------------------------------------------------------------------------------------------------
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
  const watched = !spec.detached && watch(child.pid);
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
    // Its pid may be reused from now on.
    if (watched) unwatch(child.pid);
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
  json(K.launched, id, { pid: child.pid, watched: watched });
}

// ---- tunnels ---------------------------------------------------------------------------------------------------
function credit(bytes) {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(bytes, 0);
  return body;
}
function tunnelOpen(id, spec) {
  if (losing) return json(K.tunnelFailed, id, { message: 'the agent is ending' });
  const a = spec.address;
  const target = a.path !== undefined ? { path: a.path } : { host: a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host, port: a.port };
  const socket = net.connect(Object.assign({ allowHalfOpen: true }, target));
  socket.setNoDelay(true);
  // credit: what this side may still send; pending: what the socket gave beyond it; unacked: bytes the worker's
  // socket has taken since credit was last given back.
  const t = { socket: socket, credit: spec.window, window: spec.window, pending: [], unacked: 0, connected: false, endPending: false, endSent: false, endReceived: false, done: false };
  tunnels.set(id, t);
  socket.on('connect', () => {
    t.connected = true;
    frame(K.tunnelOpened, id);
  });
  socket.on('data', (chunk) => {
    if (t.pending.length === 0 && chunk.length <= t.credit) {
      t.credit -= chunk.length;
      frame(K.tunnelData, id, chunk);
      return;
    }
    t.pending.push(chunk);
    socket.pause();
    pump(id, t);
  });
  socket.on('end', () => {
    if (t.pending.length > 0) t.endPending = true;
    else sendEnd(id, t);
  });
  socket.on('error', (e) => {
    if (t.done) return;
    t.done = true;
    tunnels.delete(id);
    if (t.connected) json(K.tunnelReset, id, { message: 'the worker\'s socket failed: ' + e.message });
    else json(K.tunnelFailed, id, { message: 'cannot reach the worker at ' + (target.path !== undefined ? 'its socket' : target.host + ':' + target.port) + ' on ' + os.hostname() + ': ' + e.message });
  });
  socket.on('close', () => {
    if (t.done || t.endPending) return;
    t.done = true;
    tunnels.delete(id);
    if (!(t.endSent && t.endReceived)) json(K.tunnelReset, id, { message: 'the worker closed the connection' });
  });
}
function sendEnd(id, t) {
  t.endPending = false;
  if (t.endSent) return;
  t.endSent = true;
  frame(K.tunnelEnd, id);
  if (t.socket.destroyed && !t.done) {
    t.done = true;
    tunnels.delete(id);
  }
}
function pump(id, t) {
  while (t.pending.length > 0 && t.credit > 0) {
    const chunk = t.pending[0];
    if (chunk.length <= t.credit) {
      t.pending.shift();
      t.credit -= chunk.length;
      frame(K.tunnelData, id, chunk);
    } else {
      frame(K.tunnelData, id, chunk.subarray(0, t.credit));
      t.pending[0] = chunk.subarray(t.credit);
      t.credit = 0;
    }
  }
  if (t.pending.length > 0) return;
  if (t.endPending) sendEnd(id, t);
  else if (!t.socket.destroyed) t.socket.resume();
}
function tunnelFrame(kind, id, body) {
  const t = tunnels.get(id);
  if (t === undefined) return;
  if (kind === K.tunnelData) {
    const bytes = body.length;
    t.socket.write(body, () => {
      t.unacked += bytes;
      if (t.unacked >= t.window / 4 && !t.done) {
        frame(K.tunnelCredit, id, credit(t.unacked));
        t.unacked = 0;
      }
    });
  } else if (kind === K.tunnelCredit) {
    t.credit += body.readUInt32BE(0);
    pump(id, t);
  } else if (kind === K.tunnelEnd) {
    t.endReceived = true;
    t.socket.end();
  } else if (kind === K.tunnelReset) {
    t.done = true;
    tunnels.delete(id);
    t.socket.destroy();
  }
}

// ---- input -------------------------------------------------------------------------------------------------------
function handle(kind, id, body) {
  if (kind === K.heartbeat || kind === K.pad) return;
  if (kind >= K.tunnelData) return tunnelFrame(kind, id, body);
  if (kind === K.tunnelOpen) return tunnelOpen(id, JSON.parse(body.toString('utf8')));
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

// ---- hello -------------------------------------------------------------------------------------------------------
// Where tunnelled workers listen: on Linux an abstract socket name (nothing on disk, whatever ends the agent), else
// a private directory removed when the agent exits.
function socketBase() {
  if (process.platform === 'linux') return '\0cohort-agent-' + crypto.randomBytes(8).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-agent-'));
  process.on('exit', () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch (e) {} });
  return dir;
}
function addresses() {
  const found = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (!a.internal && a.family === 'IPv4') found.push(a.address);
  }
  return found;
}
// This machine's address on its route to the spawner's: a connected UDP socket sends nothing.
function routeAddress(host, done) {
  if (!host) return done(undefined);
  let finished = false;
  let socket;
  const finish = (address) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    try { socket.close(); } catch (e) {}
    done(address);
  };
  const timer = setTimeout(() => finish(undefined), 2000);
  try {
    socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('error', () => finish(undefined));
    socket.connect(9, host, () => {
      let address;
      try { address = socket.address().address; } catch (e) {}
      finish(address);
    });
  } catch (e) {
    finish(undefined);
  }
}
const sshConnection = (process.env.SSH_CONNECTION || '').split(' ');
routeAddress(config.routeToVariable ? process.env[config.routeToVariable] : undefined, (route) => {
  json(K.hello, 0, {
    pid: process.pid,
    serverAddress: sshConnection.length === 4 ? sshConnection[2] : undefined,
    node: process.version,
    hostname: os.hostname(),
    addresses: addresses(),
    routeAddress: route,
    socketBase: socketBase(),
    slurm: process.env.SLURM_JOB_ID ? { jobId: process.env.SLURM_JOB_ID, stepId: process.env.SLURM_STEP_ID, node: process.env.SLURMD_NODENAME } : undefined,
  });
});
`;
