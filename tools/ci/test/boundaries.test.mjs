// Ownership and direction in code: ESLint (with @nx/enforce-module-boundaries,
// configured in eslint.config.mjs from tools/ownership/teams.json) must reject a
// service importing another service, a lib importing a service, production or
// deploy code importing test support or the local runtime, and a relative
// import into another package, in TypeScript and plain JavaScript alike.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT } from './workspace-copy.mjs';

const eslint = new ESLint({ cwd: ROOT });

/** @param {string} file @param {string} code @returns {Promise<string[]>} */
const boundaryErrors = async (file, code) => {
  const [result] = /** @type {[ESLint.LintResult]} one text, one result */ (await eslint.lintText(code, { filePath: path.join(ROOT, file) }));
  return result.messages.filter((message) => message.ruleId === '@nx/enforce-module-boundaries').map((message) => message.message);
};

describe('module boundaries', () => {
  it('reject a service importing another service', async () => {
    const errors = await boundaryErrors(
      'services/notifier/src/domain/probe.ts',
      "import { OrderProcessor } from '../../../order-processor/src/domain';\nexport const probe = OrderProcessor;\n",
    );
    assert.ok(errors.length > 0, 'a cross-service import passed lint');
  });

  it('reject a lib importing a service', async () => {
    const errors = await boundaryErrors(
      'libs/dynamo/src/probe.ts',
      "import { ItemsService } from '../../../services/items-api/src/domain';\nexport const probe = ItemsService;\n",
    );
    assert.ok(errors.length > 0, 'a lib importing a service passed lint');
  });

  it('let a service import the shared libs', async () => {
    const errors = await boundaryErrors(
      'services/notifier/src/domain/probe.ts',
      "import { parseEvent } from '@platform/events';\nexport const probe = parseEvent;\n",
    );
    assert.deepEqual(errors, []);
  });

  it('reject production code importing test support or the local runtime', async () => {
    const fromLib = await boundaryErrors('libs/handler-kit/src/probe.ts', "import { sqsEvent } from '@platform/testing';\nexport const probe = sqsEvent;\n");
    assert.ok(fromLib.length > 0, 'a lib importing @platform/testing passed lint');
    const fromService = await boundaryErrors('services/notifier/src/probe.ts', "import { localAwsEnv } from '@platform/local-runtime/aws';\nexport const probe = localAwsEnv;\n");
    assert.ok(fromService.length > 0, 'a service importing the local runtime passed lint');
  });

  it('reject deploy configuration importing the local runtime (CommonJS too)', async () => {
    const errors = await boundaryErrors('infra/serverless/probe.cjs', "const { localAwsEnv } = require('@platform/local-runtime/aws');\nmodule.exports = localAwsEnv;\n");
    assert.ok(errors.length > 0, 'infra requiring the local runtime passed lint');
  });

  it('let tests of production code use the test support library', async () => {
    const errors = await boundaryErrors('libs/handler-kit/test/probe.test.ts', "import { sqsEvent } from '@platform/testing';\nexport const probe = sqsEvent;\n");
    assert.deepEqual(errors, []);
  });

  it('reject a relative import out of a tool package into another (.mjs)', async () => {
    const errors = await boundaryErrors('tools/console/lib/probe.mjs', "import { listen } from '../../local-runtime/stack/listen.mjs';\nexport const probe = listen;\n");
    assert.ok(errors.length > 0, 'a relative cross-package import passed lint');
  });

  it('let a tool import another by package name', async () => {
    const errors = await boundaryErrors('tools/console/lib/probe.mjs', "import { listen } from '@platform/local-runtime/stack/listen';\nexport const probe = listen;\n");
    assert.deepEqual(errors, []);
  });
});
