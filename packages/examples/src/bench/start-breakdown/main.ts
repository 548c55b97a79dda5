// Where a worker's start goes: `node start-breakdown/main.js` (compiled, see ../main.ts) or under tsx. Runs
// entry.ts as a Cohort master with marks.ts preloaded (its workers and baseline children inherit the flag), and
// prints its report. START_SAMPLES=n sets the samples per side (default 20).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchScript } from '../script-url.js';

const dir = mkdtempSync(join(tmpdir(), 'cohort-start-marks-'));
const child = spawn(
  process.execPath,
  [
    ...process.execArgv,
    '--import',
    benchScript('./marks', import.meta.url).href,
    benchScript('./entry', import.meta.url).pathname,
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, START_MARKS_DIR: dir },
  },
);
const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
rmSync(dir, { recursive: true, force: true });
process.exit(code);
