module.exports = {
  displayName: 'dynamo',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '../../tools/local-runtime/jest/emulators.global-setup.mjs',
  globalTeardown: '../../tools/local-runtime/jest/emulators.global-teardown.mjs',
};
