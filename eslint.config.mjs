import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// One scope per owning team (tools/ownership/teams.json): a team's code may
// use its own scope and the shared one, never another team's.
const { scopes } = JSON.parse(readFileSync(new URL('./tools/ownership/teams.json', import.meta.url), 'utf8'));
const scopeConstraints = Object.keys(scopes).map((scope) => ({
  sourceTag: `scope:${scope}`,
  onlyDependOnLibsWithTags: [...new Set([`scope:${scope}`, 'scope:shared'])],
}));

const CODE = ['**/*.ts', '**/*.mjs', '**/*.cjs', '**/*.js'];
const TEST_FILES = ['**/test/**/*.{ts,mjs,cjs,js}', '**/*.test.{ts,mjs,cjs,js}', '**/jest.config.js'];

// What each kind of project may depend on (its tag type:*).
const PRODUCTION_DEPENDS_ON = {
  'type:lib': ['type:lib'],
  'type:service': ['type:lib'],
  'type:infra': ['type:infra'],
  'type:testing': ['type:lib', 'type:testing', 'type:local', 'type:infra'],
  'type:local': ['type:lib', 'type:local', 'type:infra', 'type:tool'],
  'type:tool': ['type:lib', 'type:testing', 'type:local', 'type:infra', 'type:tool'],
  'type:system-tests': ['type:lib', 'type:testing', 'type:local', 'type:infra', 'type:tool'],
};
const TEST_DEPENDS_ON = {
  ...PRODUCTION_DEPENDS_ON,
  'type:lib': ['type:lib', 'type:testing'],
  'type:service': ['type:lib', 'type:testing'],
  'type:infra': ['type:infra', 'type:local', 'type:testing'],
};
const boundaries = (dependsOn) => ({
  enforceBuildableLibDependency: false,
  allow: [],
  depConstraints: [
    ...Object.entries(dependsOn).map(([sourceTag, tags]) => ({ sourceTag, onlyDependOnLibsWithTags: tags })),
    ...scopeConstraints,
  ],
});

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/.esbuild/**', '**/.serverless/**', '**/.serverless-local/**', '**/.esbuild-package-*/**', '**/.esbuild-offline-*/**', '**/.nx/**', '**/dist/**', '**/coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // Which way dependencies point, for every source file (.ts, .mjs, .cjs, .js):
  // production code (libs, services) and deploy code (infra) never import test
  // support or the local runtime; local and test code may import production code;
  // tools import each other by package name (a relative import into another
  // project is an error), and no cycles. A team's code uses only its own scope
  // and the shared one.
  {
    files: CODE,
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(PRODUCTION_DEPENDS_ON)] },
  },
  // Tests of production code may also use the test support library.
  {
    files: TEST_FILES,
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(TEST_DEPENDS_ON)] },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
