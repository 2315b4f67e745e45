module.exports = {
  displayName: 'items-api',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  globalSetup: '../../libs/testing/jest/emulators.global-setup.mjs',
  globalTeardown: '../../libs/testing/jest/emulators.global-teardown.mjs',
};
