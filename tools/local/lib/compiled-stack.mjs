// The local stack is provisioned from what each service would deploy: the
// CloudFormation template `serverless package --stage local` compiles from its
// serverless.yml. Nothing about tables, queues or topics is written twice.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './processes.mjs';
import { LOCAL_STAGE, SERVERLESS_BIN } from './services.mjs';

export const LOCAL_PACKAGE_DIR = '.serverless-local';

export const packageForLocal = async (service, env) => {
  await run(SERVERLESS_BIN, ['package', '--stage', LOCAL_STAGE, '--package', LOCAL_PACKAGE_DIR], {
    cwd: service.dir,
    env,
    timeoutMs: 180_000,
  });
  const read = (file) => JSON.parse(readFileSync(path.join(service.dir, LOCAL_PACKAGE_DIR, file), 'utf8'));
  return { ...service, template: read('cloudformation-template-update-stack.json') };
};
