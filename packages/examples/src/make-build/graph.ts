// The build: what each target needs and which recipe makes it. Read at the top level of every process (the master
// and each re-run worker define one task per target from it), so it must be the same everywhere: no input here.

export type RecipeName =
  | 'configure'
  | 'generate'
  | 'parse'
  | 'compile'
  | 'link'
  | 'unit-test'
  | 'integration-test'
  | 'package'
  | 'report'
  | 'publish';

export interface Target {
  readonly name: string;
  readonly deps: readonly string[];
  readonly recipe: RecipeName;
  /** The source module a `compile` target compiles. */
  readonly module?: string;
  /** The target with the seeded bug: its test server never answers, and it ignores SIGTERM. */
  readonly hangs?: boolean;
  /** A step that may hang gets a budget: SIGTERM this long after it starts… */
  readonly termTimeoutMs?: number;
  /** …and SIGKILL this long after the SIGTERM. */
  readonly killTimeoutMs?: number;
}

export const modules = ['core', 'rpc', 'cli'] as const;

export const targets: readonly Target[] = [
  { name: 'configure', deps: [], recipe: 'configure' },
  { name: 'generate', deps: ['configure'], recipe: 'generate' },
  { name: 'parse', deps: ['generate'], recipe: 'parse' },
  ...modules.map((module): Target => ({ name: `compile-${module}`, deps: ['parse'], recipe: 'compile', module })),
  { name: 'link', deps: modules.map((module) => `compile-${module}`), recipe: 'link' },
  { name: 'unit-test', deps: ['link'], recipe: 'unit-test' },
  {
    name: 'integration-test',
    deps: ['link'],
    recipe: 'integration-test',
    hangs: true,
    termTimeoutMs: 1500,
    killTimeoutMs: 1000,
  },
  { name: 'package', deps: ['link', 'unit-test'], recipe: 'package' },
  { name: 'coverage-report', deps: ['unit-test', 'integration-test'], recipe: 'report' },
  { name: 'publish', deps: ['package', 'coverage-report'], recipe: 'publish' },
];
