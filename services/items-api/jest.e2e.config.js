// End-to-end: starts the whole local stack (as `npm start` does) and drives it over HTTP.
module.exports = {
  displayName: 'items-api-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  testTimeout: 60_000,
};
