module.exports = {
  displayName: 'handler-kit',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
