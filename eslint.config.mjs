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

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/.esbuild/**', '**/.serverless/**', '**/.serverless-local/**', '**/.esbuild-package-*/**', '**/.esbuild-offline-*/**', '**/.nx/**', '**/dist/**', '**/coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      // Ownership in code: services may use libs only, libs never use services,
      // and a team's code may only use its own scope and the shared one.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
            ...scopeConstraints,
          ],
        },
      ],
    },
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
