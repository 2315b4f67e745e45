// A throw-away copy of the workspace as a git repository of its own, for
// tests that change files and commit. The copy reuses the installed
// node_modules, except that `serverless` on its PATH is a recorder: no test
// deploys anything, it sees which services would be deployed, in what order.
// Commands that would write into node_modules must not run in it (its
// packages are links to this workspace's): `npm install --package-lock-only
// --ignore-scripts` is fine.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @param {string} cwd @param {...string} args @returns {string} its output */
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A node_modules of links to the installed packages, but for the workspace
 * links (@platform/* → ../../libs/…), which are made anew inside the copy: a
 * link to the whole of node_modules/@platform would resolve them against the
 * real node_modules folder, i.e. to this workspace's libs and tools (the
 * generators among them), not the copy's.
 * @param {string} dir
 */
const linkNodeModules = (dir) => {
  const real = path.join(ROOT, 'node_modules');
  const copy = path.join(dir, 'node_modules');
  mkdirSync(path.join(copy, '.bin'), { recursive: true });
  mkdirSync(path.join(copy, '@platform'), { recursive: true });
  for (const entry of readdirSync(real)) {
    if (entry !== '.bin' && entry !== '@platform') symlinkSync(path.join(real, entry), path.join(copy, entry));
  }
  for (const entry of readdirSync(path.join(real, '@platform'))) {
    symlinkSync(readlinkSync(path.join(real, '@platform', entry)), path.join(copy, '@platform', entry));
  }
  for (const bin of readdirSync(path.join(real, '.bin'))) {
    if (bin !== 'serverless') symlinkSync(path.join(real, '.bin', bin), path.join(copy, '.bin', bin));
  }
  const recorder = path.join(copy, '.bin', 'serverless');
  writeFileSync(recorder, `#!/bin/sh\necho "$(basename "$PWD") $*" >> "${path.join(dir, 'serverless-calls.log')}"\n`);
  chmodSync(recorder, 0o755);
};

/** @typedef {ReturnType<typeof createWorkspaceCopy>} WorkspaceCopy */

export const createWorkspaceCopy = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workspace-'));
  const files = git(ROOT, 'ls-files', '-co', '--exclude-standard', '-z').split('\0').filter(Boolean);
  for (const file of files) {
    const from = path.join(ROOT, file);
    try {
      cpSync(from, path.join(dir, file), { recursive: false });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error; // deleted in the working tree
    }
  }
  linkNodeModules(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'add', '-A');
  git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'base');

  // Nothing of an outer Nx run (NX_TASK_*…) or of this test runner leaks into the copy's commands.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NX_') && key !== 'NODE_TEST_CONTEXT'));
  Object.assign(env, { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_TUI: 'false', CI: 'true' });
  /** @param {string} command @param {string[]} args @returns {string} its output */
  const run = (command, args) => execFileSync(command, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  /** @param {...string} args @returns {string} its output */
  const nx = (...args) => run(path.join(dir, 'node_modules/.bin/nx'), args);
  /** @param {...string} args @returns {string} its output */
  const gitIn = (...args) => git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args);

  /**
   * Makes a change on the branch `branch`, started afresh from `from`, and
   * commits it: `edit` writes files or runs commands in the copy. Forgets
   * what the recording `serverless` saw.
   * @param {{ message: string, edit: () => void, from?: string, branch?: string }} change
   */
  const commit = ({ message, edit, from = 'main', branch = 'change' }) => {
    gitIn('reset', '-q', '--hard');
    gitIn('clean', '-qfd');
    gitIn('checkout', '-q', '-B', branch, from);
    edit();
    gitIn('add', '-A');
    gitIn('commit', '-qm', message);
    rmSync(path.join(dir, 'serverless-calls.log'), { force: true });
  };

  return {
    dir,
    nx,
    run,
    git: gitIn,
    commit,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

