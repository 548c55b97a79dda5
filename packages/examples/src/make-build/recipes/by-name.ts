import type { RecipeName } from '../graph.js';
import { integrationTest } from './integration.js';
import { compile, link, unitTest } from './objects.js';
import { coverageReport, packageProgram, publish } from './release.js';
import { configure, generate, parse } from './sources.js';
import type { Recipe } from './step-io.js';

export const recipes: Readonly<Record<RecipeName, Recipe>> = {
  configure,
  generate,
  parse,
  compile,
  link,
  'unit-test': unitTest,
  'integration-test': integrationTest,
  package: packageProgram,
  report: coverageReport,
  publish,
};
