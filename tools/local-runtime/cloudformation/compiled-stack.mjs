// The local stack is provisioned from what each service would deploy: the
// CloudFormation template `serverless package --stage local` compiles from its
// serverless.yml. Nothing about tables, queues or topics is written twice.
//
// Compiling takes ~7 s of the start on 2 cores, and its result depends only on
// the service's configuration, never on its source code (handlers are named
// by path). So a compiled template is kept under a hash of those inputs and
// reused while they are unchanged: the service folder without src/, test/
// and contracts/, the shared infra/serverless/, the lockfile (plugin
// versions) and the variables the templates read. Each compilation writes to
// a folder of its own and is renamed into place whole, so two stacks started
// at once from one checkout (`npm start` beside `npm test`) never read a
// half-written template.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { isRunning, run } from '../stack/processes.mjs';
import { LOCAL_STAGE, ROOT, SERVERLESS_BIN } from '../stack/services.mjs';

export const LOCAL_PACKAGE_DIR = '.serverless-local';
const TEMPLATE = 'cloudformation-template-update-stack.json';
const NOT_INPUTS = new Set(['src', 'test', 'contracts', 'node_modules']);
// The environment the shared base reads when compiling for the local stage (infra/serverless/base.cjs).
const BASE_VARIABLES = ['AWS_REGION', 'LOG_LEVEL', 'CORS_ORIGINS'];

/**
 * The environment variables a compile of this service reads: the base's, and every
 * `${env:NAME…}` its serverless.yml names (such a setting changes the template: a
 * stack started with another value must not reuse the template cached for the first).
 * @param {Service} service
 */
export const templateVariables = (service) => {
  const config = readFileSync(path.join(service.dir, 'serverless.yml'), 'utf8');
  const named = [...config.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => /** @type {string} */ (match[1]));
  return [...new Set([...BASE_VARIABLES, ...named])].sort();
};

/** @typedef {import('@platform/local-runtime/types').Service} Service */

/** @param {string} dir @returns {string[]} */
const filesUnder = (dir) =>
  readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !NOT_INPUTS.has(name))
    .sort()
    .flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? filesUnder(file) : [file];
    });

/**
 * The packages package-lock.json installs, each with its version and
 * integrity: what the framework, its plugins and esbuild run and bundle. Not
 * the workspace's own entries, so adding a service (npm install links one
 * more) does not recompile every other service's template.
 */
const installedPackages = () => {
  const file = path.join(ROOT, 'package-lock.json');
  // Read once per lockfile, not once per service: a stack hashes every service's inputs at start.
  const { mtimeMs } = statSync(file);
  if (installed?.mtimeMs === mtimeMs) return installed.text;
  /** @type {{ packages?: Record<string, { version?: string, integrity?: string, link?: boolean }> }} */
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  const text = Object.entries(lock.packages ?? {})
    .filter(([key, entry]) => key.includes('node_modules/') && !entry.link)
    .map(([key, entry]) => `${key}@${entry.version}@${entry.integrity}`)
    .sort()
    .join('\n');
  installed = { mtimeMs, text };
  return text;
};
/** @type {{ mtimeMs: number, text: string } | undefined} */
let installed;

/**
 * A hash of everything `serverless package` reads to compile this service's template.
 * @param {Service} service @param {NodeJS.ProcessEnv} env
 */
export const templateInputsHash = (service, env) => {
  const hash = createHash('sha256');
  const files = [
    ...filesUnder(service.dir),
    ...filesUnder(path.join(ROOT, 'infra/serverless')),
    ...filesUnder(path.join(ROOT, 'tools/local-runtime/serverless-plugins')), // the local stage's own plugins
  ];
  for (const file of files) hash.update(`${path.relative(ROOT, file)}\0`).update(readFileSync(file)).update('\0');
  hash.update(installedPackages()).update('\0');
  hash.update(JSON.stringify(templateVariables(service).map((name) => [name, env[name] ?? process.env[name] ?? null])));
  return hash.digest('hex').slice(0, 16);
};

/** Where the compiled template and function zips of these inputs live: .serverless-local/<hash>. @param {Service} service @param {string} inputs */
export const compiledDir = (service, inputs) => path.join(service.dir, LOCAL_PACKAGE_DIR, inputs);

/** @param {Service} service @param {NodeJS.ProcessEnv} env @param {string} inputs */
const compile = async (service, env, inputs) => {
  const target = compiledDir(service, inputs);
  const scratch = `${target}.${process.pid}.tmp`;
  /** @param {string} dir */
  const relative = (dir) => path.relative(service.dir, dir);
  rmSync(scratch, { recursive: true, force: true });
  await run(process.execPath, [SERVERLESS_BIN, 'package', '--stage', LOCAL_STAGE, '--package', relative(scratch)], {
    cwd: service.dir,
    env: { ...env, ESBUILD_WORK_FOLDER: `.esbuild-package-${process.pid}` },
    timeoutMs: 180_000,
  });
  try {
    renameSync(scratch, target);
  } catch (error) {
    // Another stack compiled the same inputs meanwhile: theirs is as good as ours.
    if (!existsSync(path.join(target, TEMPLATE))) throw error;
    rmSync(scratch, { recursive: true, force: true });
  }
};


/** Drops what older inputs compiled, and what stopped compilations left, so the folder does not grow. @param {Service} service @param {string} inputs */
const pruneOthers = (service, inputs) => {
  const root = path.join(service.dir, LOCAL_PACKAGE_DIR);
  for (const name of readdirSync(root)) {
    const scratchOf = /^[0-9a-f]+\.(\d+)\.tmp$/.exec(name);
    const stale = scratchOf ? !isRunning(Number(scratchOf[1])) : name !== inputs;
    if (stale) rmSync(path.join(root, name), { recursive: true, force: true });
  }
};

/**
 * The service's compiled local template, compiled again only when its inputs changed. `reused` says which.
 * @param {Service} service @param {NodeJS.ProcessEnv} env
 * @returns {Promise<import('@platform/local-runtime/types').CompiledStack>}
 */
export const packageForLocal = async (service, env) => {
  const inputs = templateInputsHash(service, env);
  const templateFile = path.join(compiledDir(service, inputs), TEMPLATE);
  const reused = existsSync(templateFile);
  if (!reused) {
    mkdirSync(path.join(service.dir, LOCAL_PACKAGE_DIR), { recursive: true });
    await compile(service, env, inputs);
    pruneOthers(service, inputs);
  }
  return { ...service, reused, compiledDir: compiledDir(service, inputs), template: JSON.parse(readFileSync(templateFile, 'utf8')) };
};
