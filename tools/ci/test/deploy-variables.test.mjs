// deploy-service.yml (each service's deploy, in its team's GitHub environment)
// stops before deploying when a variable the stage needs is unset.
// GitHub passes an unset `vars.X` as an empty string, which defeats the
// templates' `${env:X, fallback}` (issue 13: CORS then allowed no origin at all),
// so the workflow itself must refuse. This runs that step's script as GitHub would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STEP = "- name: Check the environment's variables";

/** The `run: |` block of the step, dedented. */
const checkScript = () => {
  const lines = readFileSync(path.join(ROOT, '.github/workflows/deploy-service.yml'), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === STEP);
  assert.ok(start >= 0, `deploy-service.yml has no step "${STEP.slice(8)}"`);
  const run = lines.findIndex((line, i) => i > start && line.trim() === 'run: |');
  const indent = (/** @type {string} */ line) => line.length - line.trimStart().length;
  const body = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== '' && indent(line) <= indent(/** @type {string} */ (lines[run]))) break;
    body.push(line);
  }
  const depth = Math.min(...body.filter((line) => line.trim()).map(indent));
  return body.map((line) => line.slice(depth)).join('\n');
};

const NEEDED = { JWT_ISSUER_URL: 'https://issuer.example.com/', JWT_AUDIENCE: 'platform-api', CORS_ORIGINS: 'https://shop.example.com' };

/** @param {Record<string, string>} vars */
const runCheck = (vars) => spawnSync('bash', ['-e', '-c', checkScript()], { env: { PATH: process.env.PATH ?? '', STAGE: 'production', ENVIRONMENT: 'production-catalog', ...vars }, encoding: 'utf8' });

describe('deploy-service.yml refuses a stage whose variables are unset', () => {
  it('passes when every variable is set', () => {
    const run = runCheck(NEEDED);
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  for (const name of Object.keys(NEEDED)) {
    it(`stops with an error naming ${name} when it is empty, as GitHub passes an unset variable`, () => {
      const run = runCheck({ ...NEEDED, [name]: '' });
      assert.equal(run.status, 1);
      assert.match(run.stdout, new RegExp(`::error::Set these variables on the 'production-catalog' environment.*${name}`));
    });
  }
});
