module.exports = {
  displayName: 'order-processor',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '../../tools/jest/emulators.global-setup.mjs',
  globalTeardown: '../../tools/jest/emulators.global-teardown.mjs',
};
