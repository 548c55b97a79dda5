// package, coverage-report, publish: bundle the program, gather the test reports, put the release together.
import { z } from 'zod';
import { sha256 } from '../artifact.js';
import { formatBytes } from '../format.js';
import { pack } from './container.js';
import type { Recipe } from './step-io.js';

const PackageHeader = z.object({
  files: z.array(z.object({ name: z.string(), bytes: z.number(), sha256: z.string() })),
});

/** The program and its test report in one file, with every file's digest in the header. */
export const packageProgram: Recipe = async (io) => {
  const files: { name: string; data: Buffer }[] = [];
  for (const dep of Object.keys(io.inputs).sort()) {
    files.push({ name: io.inputs[dep]!.file, data: await io.read(dep) });
    io.progress((files.length / Object.keys(io.inputs).length) * 90, `added ${io.inputs[dep]!.file}`);
  }
  const header: z.input<typeof PackageHeader> = {
    files: files.map(({ name, data }) => ({ name, bytes: data.length, sha256: sha256(data) })),
  };
  const bundle = await io.write(
    'dist/app.pkg',
    pack(
      header,
      files.map((f) => f.data),
    ),
  );
  await io.write('dist/SHA256SUMS', `${bundle.sha256}  app.pkg\n`);
  io.progress(100, `dist/app.pkg: ${files.length} files, ${formatBytes(bundle.bytes)}`);
  return bundle;
};

/** Every check line of the test reports, and how many passed. */
export const coverageReport: Recipe = async (io) => {
  const lines: string[] = [];
  for (const dep of Object.keys(io.inputs).sort()) {
    lines.push(
      ...(await io.read(dep))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => `${dep}: ${line}`),
    );
  }
  const passed = lines.filter((line) => line.includes(': ok ')).length;
  io.progress(100, `${passed}/${lines.length} checks passed`);
  return io.write('reports/coverage.txt', `${lines.join('\n')}\n${passed}/${lines.length} checks passed\n`);
};

/** The release: each input under release/, and a manifest with their digests. */
export const publish: Recipe = async (io) => {
  const manifest: Record<string, { file: string; bytes: number; sha256: string }> = {};
  for (const dep of Object.keys(io.inputs).sort()) {
    const name = io.inputs[dep]!.file.split('/').pop()!;
    manifest[dep] = await io.write(`release/${name}`, await io.read(dep));
    io.progress((Object.keys(manifest).length / Object.keys(io.inputs).length) * 100, `copied ${name}`);
  }
  return io.write('release/manifest.json', JSON.stringify(manifest, null, 2));
};
