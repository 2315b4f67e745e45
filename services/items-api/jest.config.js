module.exports = {
  displayName: 'items-api',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  globalSetup: '../../tools/jest/emulators.global-setup.mjs',
  globalTeardown: '../../tools/jest/emulators.global-teardown.mjs',
};
