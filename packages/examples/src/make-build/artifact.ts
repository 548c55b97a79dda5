// What a step makes: one file in the build directory, known by its size and digest. The scheduler hands a step its
// dependencies' artifacts; the step checks each digest before using the file, as a content-addressed build would.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const Artifact = z.object({
  /** Relative to the build directory. */
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type Artifact = z.infer<typeof Artifact>;

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `data` to `file` under `buildDir` (making its directory) and describes it. */
export async function writeArtifact(buildDir: string, file: string, data: Uint8Array | string): Promise<Artifact> {
  const path = join(buildDir, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return { file, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, sha256: sha256(data) };
}

/** Reads an artifact's file, and throws if it is not what its producer wrote. */
export async function readArtifact(buildDir: string, artifact: Artifact): Promise<Buffer> {
  const data = await readFile(join(buildDir, artifact.file));
  const digest = sha256(data);
  if (digest !== artifact.sha256) {
    throw new Error(
      `${artifact.file} changed since it was built (sha256 ${digest.slice(0, 12)}, expected ${artifact.sha256.slice(0, 12)})`,
    );
  }
  return data;
}
