module.exports = {
  displayName: 'dynamo',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '../../tools/jest/dynamodb-local.global-setup.mjs',
  globalTeardown: '../../tools/jest/dynamodb-local.global-teardown.mjs',
};
