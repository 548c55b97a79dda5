// The test sshd, as .ci/setup-sshd describes it in the environment: remote-worker tests skip without one.
export const sshTarget =
  process.env.COHORT_TEST_SSH_DESTINATION === undefined
    ? undefined
    : { destination: process.env.COHORT_TEST_SSH_DESTINATION, args: process.env.COHORT_TEST_SSH_ARGS ?? '[]' };

export const skipReason =
  'remote-worker tests need an sshd: run `eval "$(.ci/setup-sshd)"` first (sets COHORT_TEST_SSH_DESTINATION and COHORT_TEST_SSH_ARGS)';
