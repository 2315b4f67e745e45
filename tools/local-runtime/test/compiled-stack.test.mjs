// The compiled-template cache (cloudformation/compiled-stack.mjs) is keyed by
// what a compile reads: a stack started with another value of a setting the
// service's serverless.yml reads from the environment gets its own template.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { templateInputsHash, templateVariables } from '../cloudformation/compiled-stack.mjs';

describe('the compiled-template cache key', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compiled-stack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, 'serverless.yml'),
    ['service: things', 'custom:', "  environment:", "    SHARDS: ${env:STOCK_SHARDS, '1'}", '    MODE: ${env:THING_MODE}', ''].join('\n'),
  );
  const service = /** @type {any} */ ({ name: 'things', dir });

  it('covers the base’s variables and every ${env:…} the service’s serverless.yml names', () => {
    assert.deepEqual(templateVariables(service), ['AWS_REGION', 'CORS_ORIGINS', 'LOG_LEVEL', 'STOCK_SHARDS', 'THING_MODE']);
  });

  it('changes with the value of such a variable, and only then', () => {
    const one = templateInputsHash(service, { STOCK_SHARDS: '1' });
    assert.equal(templateInputsHash(service, { STOCK_SHARDS: '1', UNRELATED: 'x' }), one);
    assert.notEqual(templateInputsHash(service, { STOCK_SHARDS: '4' }), one);
  });
});
