import type { Readable, Writable } from 'node:stream';

// The built-in's CommonJS object, not its ESM namespace, whose lazy getters load modules no worker needs.
const { closeSync, openSync } = process.getBuiltinModule('node:fs');

/**
 * Where a worker's stdout or stderr goes: `'inherit'` forwards each line to the spawner's own stream prefixed
 * with `[<worker name>] `; `'ignore'` discards it; `{ file, append? }` writes it to a file (truncated unless
 * `append`).
 * @default 'inherit'
 */
export type OutputOption = 'inherit' | 'ignore' | { file: string; append?: boolean };

/** The `stdio` entry for one output stream, plus a file descriptor to close once the child has it. */
export function outputStdio(option: OutputOption | undefined): { stdio: 'pipe' | 'ignore' | number; fd?: number } {
  if (option === undefined || option === 'inherit') return { stdio: 'pipe' };
  if (option === 'ignore') return { stdio: 'ignore' };
  const fd = openSync(option.file, option.append === true ? 'a' : 'w');
  return { stdio: fd, fd };
}

const TAIL_BYTES = 4096;

/** Keeps the last few KiB `stream` carries (a worker's stderr), for spawn error messages. */
export function keepTail(stream: Readable | null): () => string {
  let tail = '';
  stream?.on('data', (chunk: Buffer | string) => {
    tail = (tail + chunk.toString()).slice(-TAIL_BYTES);
  });
  return () => tail;
}

/**
 * Resolves once `stream` has ended (everything written before a process's exit is read), or after `maxMs` if
 * something else (a grandchild that inherited it) keeps it open.
 */
export function drained(stream: Readable | null, maxMs: number): Promise<void> {
  if (stream === null || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('close', done);
      stream.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    stream.once('close', done);
    stream.once('end', done);
  });
}

export function closeOutputFd(fd: number | undefined): void {
  if (fd !== undefined) closeSync(fd);
}

/**
 * Copies `source` to `target` line by line, each line prefixed (`prefix()` is read per chunk, so a spare worker
 * adopted under a name gets it from then on); a last line without newline is flushed at end.
 */
export function forwardLines(source: Readable, target: Writable, prefixOf: () => string): void {
  let partial = '';
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    const text = partial + chunk;
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      partial = text;
      return;
    }
    partial = text.slice(lastNewline + 1);
    const lines = text.slice(0, lastNewline).split('\n');
    const prefix = prefixOf();
    target.write(lines.map((line) => `${prefix}${line}\n`).join(''));
  });
  source.on('end', () => {
    if (partial !== '') target.write(`${prefixOf()}${partial}\n`);
    partial = '';
  });
  // A broken pipe to a dying worker is not the spawner's problem.
  source.on('error', () => undefined);
}
