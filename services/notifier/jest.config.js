module.exports = {
  displayName: 'notifier',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '../../tools/local-runtime/jest/emulators.global-setup.mjs',
  globalTeardown: '../../tools/local-runtime/jest/emulators.global-teardown.mjs',
};
