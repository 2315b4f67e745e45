// The whole system on one local stack (started once, as `npm start` runs it), driven from outside.
module.exports = {
  displayName: 'system-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
  globalSetup: '<rootDir>/support/stack.global-setup.ts',
  globalTeardown: '<rootDir>/support/stack.global-teardown.ts',
  // The files share one stack, and each asserts on what it alone changed.
  maxWorkers: 1,
  testTimeout: 90_000,
};
