// configure → generate → parse: settle the build's parameters, write the program's sources, index them.
import { z } from 'zod';
import { formatBytes } from '../format.js';
import { modules } from '../graph.js';
import type { Recipe } from './step-io.js';

const Config = z.object({
  modules: z.array(z.string()),
  moduleBytes: z.number().int().positive(),
  seed: z.number().int(),
  node: z.string(),
});

const FileEntry = z.object({ file: z.string(), bytes: z.number(), sha256: z.string() });
const Manifest = z.object({ modules: z.record(z.string(), FileEntry) });

export const ModuleIndex = FileEntry.extend({ lines: z.number(), tokens: z.number(), commonest: z.array(z.string()) });
export const SourceIndex = z.object({ modules: z.record(z.string(), ModuleIndex) });

const json = <S extends z.ZodType>(schema: S, data: Buffer): z.output<S> =>
  schema.parse(JSON.parse(data.toString('utf8')));

export const configure: Recipe = async (io) => {
  const config: z.input<typeof Config> = {
    modules: [...modules],
    moduleBytes: 2 * 1024 * 1024,
    seed: 20_240_611,
    node: process.version,
  };
  io.progress(100, `${config.modules.length} modules of ${formatBytes(config.moduleBytes)}, node ${config.node}`);
  return io.write('config.json', JSON.stringify(config, null, 2));
};

const keywords = ['let', 'fn', 'return', 'if', 'else', 'match', 'struct', 'impl', 'while', 'yield'];
const nouns = [
  'task',
  'queue',
  'worker',
  'signal',
  'message',
  'graph',
  'edge',
  'node',
  'timer',
  'trace',
  'frame',
  'socket',
];

/** Pseudo-source text, the same for the same seed (xorshift32), `bytes` long. */
function sourceText(seed: number, bytes: number): string {
  let x = seed >>> 0 || 1;
  const next = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${keywords[next(keywords.length)]} ${nouns[next(nouns.length)]}_${next(100)} = ${nouns[next(nouns.length)]}(${next(1000)}, ${nouns[next(nouns.length)]}_${next(100)});\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('').slice(0, bytes);
}

export const generate: Recipe = async (io) => {
  const config = json(Config, await io.read('configure'));
  const manifest: z.input<typeof Manifest> = { modules: {} };
  for (const [i, module] of config.modules.entries()) {
    const written = await io.write(`src/${module}.src`, sourceText(config.seed + i, config.moduleBytes));
    manifest.modules[module] = written;
    io.progress(((i + 1) / config.modules.length) * 100, `wrote ${written.file} (${formatBytes(written.bytes)})`);
  }
  return io.write('src/manifest.json', JSON.stringify(manifest, null, 2));
};

export const parse: Recipe = async (io) => {
  const manifest = json(Manifest, await io.read('generate'));
  const entries = Object.entries(manifest.modules);
  const index: z.input<typeof SourceIndex> = { modules: {} };
  for (const [i, [module, entry]] of entries.entries()) {
    const text = await io.readFile(entry);
    const counts = new Map<string, number>();
    let tokens = 0;
    for (const [token] of text.toString('utf8').matchAll(/[a-z_]+[0-9]*|[0-9]+|\S/g)) {
      tokens++;
      if (/^[a-z]/.test(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const commonest = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([word]) => word);
    const lines = text.reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 0);
    index.modules[module] = { ...entry, lines, tokens, commonest };
    io.progress(
      ((i + 1) / entries.length) * 100,
      `${module}: ${lines.toLocaleString('en-US')} lines, ${tokens.toLocaleString('en-US')} tokens`,
    );
  }
  return io.write('parse/index.json', JSON.stringify(index, null, 2));
};
