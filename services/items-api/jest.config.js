module.exports = {
  displayName: 'items-api',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  globalSetup: '../../tools/jest/dynamodb-local.global-setup.mjs',
  globalTeardown: '../../tools/jest/dynamodb-local.global-teardown.mjs',
};
