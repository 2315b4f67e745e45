module.exports = {
  displayName: 'items-api',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  globalSetup: '../../tools/local-runtime/jest/emulators.global-setup.mjs',
  globalTeardown: '../../tools/local-runtime/jest/emulators.global-teardown.mjs',
};
