// The module graph's rules: no cycle anywhere, and @cohort/core's layers import only downward:
//   common → process → host → app → parallel → { scheduler, mapreduce, pool } → api
// (`index.ts` at the top of each package may import any layer). Run: pnpm run check:deps
const core = 'packages/core/src';
const layers = ['common', 'process', 'host', 'app', 'parallel', '(scheduler|mapreduce|pool)', 'api'];

const upward = layers.slice(0, -1).map((layer, i) => ({
  name: `core-${layer.replace(/\W/g, '')}-imports-upward`,
  comment: `${layer} may import only the layers below it`,
  severity: 'error',
  from: { path: `^${core}/${layer}/` },
  to: { path: `^${core}/(${layers.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'A cycle of imports means modules that cannot be loaded or understood apart (types that name each other are fine)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    ...upward,
    {
      name: 'core-top-layers-are-siblings',
      comment: 'scheduler, mapreduce and pool sit side by side on parallel: none imports another',
      severity: 'error',
      from: { path: `^${core}/(scheduler|mapreduce|pool)/` },
      to: { path: `^${core}/(scheduler|mapreduce|pool)/`, pathNot: `^${core}/$1/` },
    },
    {
      name: 'core-uses-rpc-through-its-exports',
      comment: 'core reaches @cohort/rpc only through its package exports (. and ./internal)',
      severity: 'error',
      from: { path: '^packages/core/src' },
      to: { path: '^packages/rpc/src' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
