// `pnpm bench:readme [results.json …] [--readme file]`: writes the benchmark tables into the repository's README.md, between the
// `<!-- bench:tables:start -->` and `<!-- bench:tables:end -->` lines, from the results files `pnpm bench` wrote
// (by default bench-results-js.json then bench-results-tsx.json at the workspace root). The tables are made from
// the bench's own output, so the README cannot show a figure no run produced.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderReadmeTables } from './markdown-tables.js';
import { workspaceRoot, type BenchResults } from './results-file.js';

const { values, positionals } = parseArgs({ options: { readme: { type: 'string' } }, allowPositionals: true });
const root = workspaceRoot();
// Paths are as the user typed them, where pnpm was started (pnpm runs this script in the package's folder).
const fromCwd = (path: string): string => resolve(process.env['INIT_CWD'] ?? process.cwd(), path);
const files =
  positionals.length > 0
    ? positionals.map(fromCwd)
    : ['js', 'tsx'].map((runtime) => join(root, `bench-results-${runtime}.json`));
const missing = files.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`bench:readme: no results at ${missing.join(', ')}; run \`pnpm bench\` first`);
  process.exit(2);
}
const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
const readme = values.readme === undefined ? join(root, 'README.md') : fromCwd(values.readme);
const written = renderReadmeTables(readFileSync(readme, 'utf8'), runs);
writeFileSync(readme, written);
// Padded as the repository's formatter pads tables, so that CI's lint step finds the README as written.
execFileSync('biome', ['format', '--write', readme], { cwd: root, stdio: 'inherit' });
console.log(`bench:readme: ${runs.length} table(s) written into ${readme}`);
