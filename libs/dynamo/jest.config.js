module.exports = {
  displayName: 'dynamo',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '../../libs/testing/jest/emulators.global-setup.mjs',
  globalTeardown: '../../libs/testing/jest/emulators.global-teardown.mjs',
};
