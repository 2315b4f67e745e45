// The deployable services are the folders of services/ that hold a serverless.yml.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Run with process.execPath, so the functions run on the Node that runs the stack (the pinned one).
export const SERVERLESS_BIN = path.join(ROOT, 'node_modules/serverless/bin/serverless.js');
export const LOCAL_STAGE = 'local';

export const discoverServices = () => {
  const servicesDir = path.join(ROOT, 'services');
  return readdirSync(servicesDir)
    .filter((name) => existsSync(path.join(servicesDir, name, 'serverless.yml')))
    .sort()
    .map((name) => ({ name, dir: path.join(servicesDir, name) }));
};
