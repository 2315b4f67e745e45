// cfn-lint (../cfn-lint.mjs) on the account bootstrap, infra/bootstrap/template.json,
// with that template's own config (infra/bootstrap/.cfnlintrc.yaml: the
// informational rules on, each accepted finding with its reason). Run by the
// bootstrap project's test target (infra/bootstrap/project.json), which also
// runs the template's policy and ownership tests; the file lives here because
// it uses this package's cfnLint, which deploy code may not import.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cfnLint, formatFinding } from '../cfn-lint.mjs';

const BOOTSTRAP = fileURLToPath(new URL('../../../infra/bootstrap/', import.meta.url));
const TEMPLATE = path.join(BOOTSTRAP, 'template.json');
const CONFIG = path.join(BOOTSTRAP, '.cfnlintrc.yaml');

const dir = mkdtempSync(path.join(os.tmpdir(), 'bootstrap-cfn-lint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The template broken the way a careless edit would: an action IAM does not
 * have in the catalog execution role, and a deploy role session shorter than
 * IAM allows. cfn-lint must still see both with this config.
 */
const broken = () => {
  const template = JSON.parse(readFileSync(TEMPLATE, 'utf8'));
  const [statement] = template.Resources.CatalogExecutionRole.Properties.Policies[0].PolicyDocument.Statement;
  statement.Action.push('dynamodb:CreateTables');
  template.Resources.CatalogDeployRole.Properties.MaxSessionDuration = 60;
  const at = path.join(dir, 'broken.json');
  writeFileSync(at, JSON.stringify(template, null, 2));
  return at;
};

describe('cfn-lint on the account bootstrap (infra/bootstrap/template.json)', () => {
  // One cfn-lint run for both templates: it takes seconds to start.
  const brokenFile = broken();
  const findings = cfnLint([TEMPLATE, brokenFile], { config: CONFIG });

  it('finds nothing in the template (the config accepts only what it lists, with its reasons)', () => {
    const own = findings.filter((finding) => path.resolve(finding.file) === TEMPLATE);
    assert.deepEqual(own.map(formatFinding), []);
  });

  it('still reports an unknown IAM action and an out-of-range property with that config', () => {
    const rules = findings.filter((finding) => path.resolve(finding.file) === brokenFile).map((finding) => `${finding.rule} ${finding.path}`);
    assert.ok(rules.some((rule) => rule.startsWith('W3037 Resources/CatalogExecutionRole/')), rules.join('\n'));
    assert.ok(rules.some((rule) => rule.startsWith('E3034 Resources/CatalogDeployRole/Properties/MaxSessionDuration')), rules.join('\n'));
  });
});
