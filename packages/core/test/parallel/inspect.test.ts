// Issue 14: a master run with --inspect gives each worker its own inspector port (printed with the worker's name);
// `inspect` enables it for one worker, `inspectPortStart` chooses the ports.
import { describe, expect, it } from 'vitest';
import { splitInspectFlags, workerInspector } from '../../src/parallel/inspector-flags.js';
import { runFixture } from '../support/fixture-runner.js';
import type { ErrorReport } from '../support/fixture-report.js';

const portOf = (url: string | null): number => Number(/^ws:\/\/[^/]+:(\d+)\//.exec(url ?? '')?.[1]);
/** A port range of its own per run, away from the usual ones, so that parallel runs rarely meet. */
const randomPort = (): number => 41_000 + Math.floor(Math.random() * 8_000);

describe('the master’s inspector flags', () => {
  it.each([
    [['--inspect'], 'inspect', undefined],
    [['--inspect=9230'], 'inspect', undefined],
    [['--inspect-brk=0.0.0.0:9230'], 'brk', '0.0.0.0'],
    [['--inspect-wait=[::1]:0'], 'wait', '::1'],
    [['--inspect', '--inspect-port', 'localhost:9300'], 'inspect', 'localhost'],
    [['--inspect-port=9300'], undefined, undefined],
  ] as const)('%j: mode %s, host %s, and none of them is passed on', (flags, mode, host) => {
    const split = splitInspectFlags(['--import', 'tsx', ...flags, '--enable-source-maps']);
    expect(split).toEqual({ rest: ['--import', 'tsx', '--enable-source-maps'], mode, host });
  });

  it("each worker gets the master's mode and interface on a port of its own; `false` turns it off", () => {
    expect(workerInspector(['--inspect-brk=0.0.0.0:9229'], undefined, undefined, 'local', 'w').execArgv).toEqual([
      '--inspect-brk=0.0.0.0:0',
    ]);
    expect(workerInspector(['--inspect'], undefined, undefined, 'local', 'w').execArgv).toEqual(['--inspect=0']);
    expect(workerInspector(['--inspect'], false, undefined, 'local', 'w').execArgv).toEqual([]);
    expect(workerInspector([], undefined, 9400, 'local', 'w').execArgv).toEqual([]);
    expect(workerInspector([], { wait: true, host: '::1' }, undefined, 'local', 'w').execArgv).toEqual([
      '--inspect-wait=[::1]:0',
    ]);
    const first = workerInspector([], true, 9400, 'ssh:box', 'w');
    const second = workerInspector(['--inspect'], undefined, 9400, 'ssh:box', 'w');
    // Ports are counted per host: another machine starts from 9400 again.
    const elsewhere = workerInspector([], true, 9400, 'ssh:other', 'w');
    expect([first.address, second.address, elsewhere.address]).toEqual([
      '127.0.0.1:9400',
      '127.0.0.1:9401',
      '127.0.0.1:9400',
    ]);
    first.release();
    const reused = workerInspector([], true, 9400, 'ssh:box', 'w');
    expect(reused.execArgv).toEqual(['--inspect=9400']);
    for (const inspector of [second, elsewhere, reused]) inspector.release();
    expect(() => workerInspector([], { brk: true, wait: true }, undefined, 'local', 'Probe.spawn()')).toThrow(
      /brk and wait exclude each other/,
    );
  });
});

describe('inspected workers', () => {
  it('a master run with --inspect: every worker (and a pool’s) has its own port, printed with its name; inspect: false opts out', async () => {
    const { result, stderr } = await runFixture<{
      urls: { a: string; b: string; off: string | null; pool: string[]; master: string };
    }>('parallel/inspect.ts', { args: ['master-inspected'], nodeArgs: ['--inspect=127.0.0.1:0'] });
    const { a, b, off, pool, master } = result.urls;
    expect(master).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    expect(off).toBeNull();
    expect(pool).toHaveLength(2);
    const urls = [a, b, ...pool];
    for (const url of urls) expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    const ports = new Set([master, ...urls].map(portOf));
    expect(ports.size).toBe(5);
    // Node's own line on the worker's stderr, which reaches the master's prefixed with the worker's name.
    expect(stderr).toContain(`[w-a] Debugger listening on ${a}`);
    expect(stderr).toContain(`[w-b] Debugger listening on ${b}`);
    expect(stderr).not.toContain('address already in use');
  });

  it('inspect: true for one worker; inspectPortStart hands out ports from there, skipping one another program holds', async () => {
    const port = randomPort();
    const { result, stderr } = await runFixture<{
      urls: { one: string; two: string; plain: string | null };
      again: string;
    }>('parallel/inspect.ts', {
      args: ['port-start'],
      input: { port },
    });
    expect(result.urls.plain).toBeNull();
    expect(portOf(result.urls.one)).toBe(port + 1);
    expect(portOf(result.urls.two)).toBe(port + 2);
    expect(portOf(result.again)).toBe(port + 1);
    expect(stderr).toContain(`[one] Debugger listening on ws://127.0.0.1:${port + 1}/`);
  });

  it('a worker held by --inspect-brk: the spawn timeout says it waits for a debugger, and where', async () => {
    const port = randomPort();
    const { result } = await runFixture<{ error: ErrorReport; both: ErrorReport }>('parallel/inspect.ts', {
      args: ['brk-timeout'],
      input: { port },
    });
    expect(result.error).toMatchObject({ name: 'CohortError', code: 'SPAWN_TIMEOUT' });
    expect(result.error.message).toContain('worker "held"');
    expect(result.error.message).toContain(
      `started with --inspect-brk and waits for a debugger: attach one to 127.0.0.1:${port}`,
    );
    expect(result.both).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(result.both.message).toContain('brk and wait exclude each other');
  });
});
