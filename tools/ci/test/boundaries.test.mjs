// Ownership in code: ESLint (with @nx/enforce-module-boundaries, configured in
// eslint.config.mjs from tools/ownership/teams.json) must reject a service
// importing another service, and a lib importing a service.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT } from './workspace-copy.mjs';

const eslint = new ESLint({ cwd: ROOT });

const boundaryErrors = async (file, code) => {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
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
});
