// The bench runs from its TypeScript sources (under tsx) or compiled to JavaScript (plain `node`, see main.ts): a
// script it starts is the sibling of the running module with the running module's own extension.

/** How this bench was started: `js` when compiled, `tsx` when its sources run under tsx. */
export const benchRuntime: 'js' | 'tsx' = import.meta.url.endsWith('.ts') ? 'tsx' : 'js';

/** `relative` (written without extension, e.g. `./parallel/entry`) next to `base`, with `base`'s extension. */
export function benchScript(relative: string, base: string): URL {
  return new URL(`${relative}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}
