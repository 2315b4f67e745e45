// npm test's typecheck (typecheck-all.mjs) checks what every project's own
// typecheck target checks: the same tsconfig files, grouped only where their
// compiler options are the same.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { programsFor, typecheckConfigs } from '../typecheck-all.mjs';
import { ROOT } from './workspace-copy.mjs';

it('takes every tsconfig a project typecheck target names, and loses none when it groups them', () => {
  const configs = typecheckConfigs().map((config) => path.relative(ROOT, config));
  for (const expected of ['libs/dynamo/tsconfig.json', 'services/items-api/tsconfig.json', 'tools/ci/tsconfig.json', 'infra/serverless/tsconfig.json', 'system-tests/e2e/tsconfig.json', 'system-tests/tsconfig.json']) {
    assert.ok(configs.includes(expected), `${expected} is not checked (${configs.join(', ')})`);
  }
  const programs = programsFor(typecheckConfigs());
  assert.deepEqual(programs.flatMap((program) => program.configs).sort(), [...configs].sort());
  assert.ok(programs.length < configs.length / 3, `${programs.length} programs for ${configs.length} tsconfigs`);
  for (const { files } of programs) assert.ok(files.size > 0);
});
