// `pnpm bench`: compiles the bench to JavaScript, then runs it (runner.ts) once compiled, under plain `node`, and
// once from its TypeScript sources under tsx, both on the same Node binary. Each run prints its table and writes
// bench-results-js.json / bench-results-tsx.json (and a .svg chart beside each) at the workspace root;
// `pnpm bench:readme` puts them into README.md.
//
//   pnpm bench                      every group, compiled JS then tsx, on the `node` that runs pnpm
//   pnpm bench rpc parallel         only the named groups
//   pnpm bench --node PATH          on that Node binary (or BENCH_NODE=PATH); every process of the run uses it
//   pnpm bench --runtime js         only compiled JS (or tsx)
//   pnpm bench --quick              a smoke run: fewer repetitions, numbers not worth quoting
//   pnpm bench --out DIR            write the results into DIR instead of the workspace root
//   BENCH_CPU_PROF_DIR=/tmp/p       also write a .cpuprofile per bench server process
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileBench } from './compile.js';
import { workspaceRoot } from './results-file.js';

type Runtime = 'js' | 'tsx';

const { values, positionals } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    node: { type: 'string' },
    runtime: { type: 'string', default: 'js,tsx' },
  },
  allowPositionals: true,
});

// Paths are as the user typed them, where pnpm was started (pnpm runs this script in the package's folder).
const fromCwd = (path: string): string => resolve(process.env['INIT_CWD'] ?? process.cwd(), path);
const node = fromCwd(values.node ?? process.env['BENCH_NODE'] ?? process.execPath);
if (!existsSync(node)) {
  console.error(`bench: no Node binary at ${node} (from ${values.node !== undefined ? '--node' : 'BENCH_NODE'})`);
  process.exit(2);
}
const runtimes = values.runtime.split(',').map((name) => name.trim());
if (runtimes.length === 0 || runtimes.some((name) => name !== 'js' && name !== 'tsx')) {
  console.error(`bench: --runtime takes js, tsx or js,tsx, not "${values.runtime}"`);
  process.exit(2);
}
const outDir = values.out === undefined ? workspaceRoot() : fromCwd(values.out);
mkdirSync(outDir, { recursive: true });

const sources = fileURLToPath(new URL('.', import.meta.url));
const compiledDir = join(sources, '../../dist/bench');
if (runtimes.includes('js')) {
  const started = performance.now();
  await compileBench(sources, compiledDir);
  console.error(`bench: compiled to ${compiledDir} in ${Math.round(performance.now() - started)} ms`);
}

// tsx's loader by its absolute URL, so the children (and the Cohort workers that inherit their flags) find it from
// any working directory.
const tsxLoader = import.meta.resolve('tsx');

/** Runs one runtime's bench as a child whose stdin we hold: if we die, it sees stdin close and stops. */
async function runBench(runtime: Runtime): Promise<number> {
  const script =
    runtime === 'js' ? [join(compiledDir, 'runner.js')] : ['--import', tsxLoader, join(sources, 'runner.ts')];
  const args = [
    ...positionals,
    ...(values.quick ? ['--quick'] : []),
    '--out',
    join(outDir, `bench-results-${runtime}.json`),
  ];
  const child = spawn(node, [...script, ...args], {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_LAUNCHED: '1' },
  });
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const [code, signal] = (await new Promise((done) => child.once('exit', (...end) => done(end)))) as [
    number | null,
    NodeJS.Signals | null,
  ];
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  return code ?? (signal === null ? 1 : 128);
}

let status = 0;
for (const runtime of runtimes as Runtime[]) {
  console.log(
    `\n== bench, ${runtime === 'js' ? 'compiled JavaScript under plain node' : 'TypeScript sources under tsx'}: ${node}`,
  );
  const code = await runBench(runtime);
  if (code !== 0) {
    console.error(`bench: the ${runtime} run failed (exit ${code})`);
    status = code;
  }
}
process.exit(status);
