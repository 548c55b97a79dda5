import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set beside NODE_COMPILE_CACHE when Cohort chose it, so the worker can drop both before its own children start. */
export const COMPILE_CACHE_MARKER = 'COHORT_COMPILE_CACHE';

/** What `node:module` has on Node ≥ 22.1 (the types of the oldest supported Node lack it). */
interface CompileCacheApi {
  enableCompileCache?: (dir?: string) => unknown;
  getCompileCacheDir?: () => string | undefined;
}

/**
 * The environment for a local worker with Node's module compile cache on: every worker re-runs the same entry
 * script and loads the same modules (the app's, zod, Cohort), so V8's code for them is reused from the second
 * worker on instead of being compiled again. Where the cache goes: the spawner's own cache directory if it enabled
 * one, else the directory Node itself uses for `module.enableCompileCache()`. Nothing changes on a Node without
 * the cache, or when the environment already says what to do (NODE_COMPILE_CACHE, NODE_DISABLE_COMPILE_CACHE).
 */
export function withCompileCache(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const api = process.getBuiltinModule('node:module') as CompileCacheApi;
  if (typeof api.enableCompileCache !== 'function') return env;
  if (env['NODE_COMPILE_CACHE'] !== undefined || env['NODE_DISABLE_COMPILE_CACHE'] !== undefined) return env;
  const dir = api.getCompileCacheDir?.() ?? join(tmpdir(), 'node-compile-cache');
  return { ...env, NODE_COMPILE_CACHE: dir, [COMPILE_CACHE_MARKER]: '1' };
}

/** In a worker: forgets the compile cache Cohort turned on, so programs the worker starts see the user's env. */
export function forgetCompileCacheEnv(): void {
  if (process.env[COMPILE_CACHE_MARKER] !== '1') return;
  delete process.env['NODE_COMPILE_CACHE'];
  delete process.env[COMPILE_CACHE_MARKER];
}
