/** ESM TypeScript through ts-jest; test servers run as real child processes. */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 60000,
  globalSetup: '<rootDir>/__tests__/helpers/cli-build.ts',
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/__tests__/helpers/closing-line-reporter.cjs'],
};
