import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Text files under `root`, found lazily (the map-reduce pulls them as it needs them). */
export async function* textFiles(root: string, limit: number): AsyncGenerator<string> {
  let found = 0;
  const pending = [root];
  while (pending.length > 0 && found < limit) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await opendir(dir);
    } catch {
      continue;
    }
    for await (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && /\.(md|ts)$/.test(entry.name) && found < limit) {
        found++;
        yield path;
      }
    }
  }
}
