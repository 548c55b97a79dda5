// integration-test: serve the linked program over TCP and ask the server for its build id. This is the step with
// the seeded bug: its request handler waits on a lock nobody releases, and its shutdown is stuck as well (it ignores
// SIGTERM), so only the scheduler's kill timeout ends it.
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { sha256 } from '../artifact.js';
import { formatSeconds } from '../format.js';
import type { Recipe } from './step-io.js';

const WAIT_REPORT_MS = 500;

export const integrationTest: Recipe = async (io) => {
  const buildId = sha256(await io.read('link'));
  const lock = io.hang ? new Promise<void>(() => undefined) : Promise.resolve();
  const server = createServer((socket) => {
    socket.once('data', () => void lock.then(() => socket.end(`${buildId}\n`)));
  });
  if (io.hang) {
    process.on('SIGTERM', () => io.note('got SIGTERM: ignored, the server is stuck in its shutdown too'));
  }
  try {
    const port = await listen(server);
    io.progress(10, `server up on 127.0.0.1:${port}, asking for its build id`);
    const reply = await ask(port, 'build-id\n', (waitedMs) =>
      io.progress(50, `no reply after ${formatSeconds(waitedMs)}`),
    );
    if (reply.trim() !== buildId)
      throw new Error(`the server answered build id "${reply.trim().slice(0, 12)}", expected ${buildId.slice(0, 12)}`);
    io.progress(100, 'the server answered with the right build id');
    return await io.write('test/integration.txt', `ok the server reports build id ${buildId.slice(0, 12)}\n`);
  } finally {
    server.close();
  }
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Sends `request` and resolves with everything the server writes before it ends the connection. */
function ask(port: number, request: string, waiting: (waitedMs: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const ticker = setInterval(() => waiting(Date.now() - started), WAIT_REPORT_MS);
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    socket.once('end', () => {
      clearInterval(ticker);
      resolve(reply);
    });
    socket.once('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
  });
}
