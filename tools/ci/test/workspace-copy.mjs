// A throw-away copy of the workspace as a git repository of its own, for
// tests that change files and commit. The copy reuses the installed
// node_modules, except that `serverless` on its PATH is a recorder: no test
// deploys anything, it sees which services would be deployed, in what order.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @param {string} cwd @param {...string} args @returns {string} its output */
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** @param {string} dir */
const linkNodeModules = (dir) => {
  const real = path.join(ROOT, 'node_modules');
  const copy = path.join(dir, 'node_modules');
  mkdirSync(path.join(copy, '.bin'), { recursive: true });
  for (const entry of readdirSync(real)) {
    if (entry !== '.bin') symlinkSync(path.join(real, entry), path.join(copy, entry));
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

  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_TUI: 'false', CI: 'true' };
  /** @param {...string} args @returns {string} its output */
  const nx = (...args) => execFileSync(path.join(dir, 'node_modules/.bin/nx'), args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  return {
    dir,
    nx,
    /**
     * Appends a line to `file` and commits it on top of the base commit (resetting any earlier change).
     * @param {string} file relative to the copy
     * @param {string} line
     */
    commitChange(file, line) {
      git(dir, 'reset', '-q', '--hard', 'main');
      git(dir, 'checkout', '-q', '-B', 'change', 'main');
      const target = path.join(dir, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, `${line}\n`, { flag: 'a' });
      git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'add', '-A');
      git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', `change ${file}`);
      rmSync(path.join(dir, 'serverless-calls.log'), { force: true });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
