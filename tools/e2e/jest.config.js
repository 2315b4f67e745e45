// The whole system on the local stack (as `npm start` runs it), driven from outside.
module.exports = {
  displayName: 'system-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
  testTimeout: 90_000,
};
