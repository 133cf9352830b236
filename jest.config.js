/** ESM TypeScript through ts-jest; test servers run as real child processes. */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 60000,
  globalSetup: '<rootDir>/__tests__/helpers/cli-build.ts',
  // Three on two cores: much of a test's time is spent waiting on a server's simulated latency or
  // on a timeout, and a third worker runs in those waits.
  maxWorkers: 3,
  reporters: ['default', '<rootDir>/__tests__/helpers/closing-line-reporter.cjs'],
};
