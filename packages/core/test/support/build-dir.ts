/** Where compile-fixtures.ts put the compiled src/ and fixtures for this run (unset: run them under tsx). */
export const BUILD_DIR_VARIABLE = 'COHORT_TEST_BUILD_DIR';
