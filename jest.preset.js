// Shared Jest settings: TypeScript through ts-jest (type-checking is the
// `typecheck` target's job, so tests only transpile), and the @platform/*
// libraries resolved to their sources as tsconfig.base.json maps them.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.base.json'), diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    '^@platform/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  testPathIgnorePatterns: ['/node_modules/', '/.esbuild/', '/.serverless/', '/.serverless-local/'],
  setupFiles: [path.join(__dirname, 'tools/local-runtime/jest/env.cjs')],
  clearMocks: true,
};
