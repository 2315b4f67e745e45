#!/usr/bin/env node
// `npm test`'s typecheck: the files of every project's `typecheck` target, with
// that target's own tsconfig, checked in as few TypeScript programs as their
// compiler options allow (today two: the TypeScript projects, and the checked
// JavaScript ones). One `tsc` per project parses the same libraries, types and
// shared sources again each time: two dozen of them were a fifth of a run's
// CPU. The per-project targets stay what `nx affected` runs in CI.
//   node tools/ci/typecheck-all.mjs   exit 1 on any error, printed as tsc prints it
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROJECT_FOLDERS = ['libs', 'services', 'infra', 'tools'];
const DEFAULT_TYPECHECK = 'tsc -p {projectRoot}/tsconfig.json --noEmit';

/** Every project folder with a project.json: the four roots' children, and system-tests. */
const projectRoots = () => [
  ...PROJECT_FOLDERS.flatMap((folder) => readdirSync(path.join(ROOT, folder)).map((name) => path.join(folder, name))),
  'system-tests',
].filter((root) => existsSync(path.join(ROOT, root, 'project.json')));

/**
 * The tsconfig files each project's typecheck target checks (`-p <file>` in its command).
 * @returns {string[]}
 */
export const typecheckConfigs = () =>
  projectRoots().flatMap((root) => {
    const { targets = {} } = JSON.parse(readFileSync(path.join(ROOT, root, 'project.json'), 'utf8'));
    if (!('typecheck' in targets)) return [];
    const command = String(targets.typecheck?.command ?? DEFAULT_TYPECHECK).replaceAll('{projectRoot}', root);
    return [...command.matchAll(/-p\s+(\S+)/g)].map((match) => path.join(ROOT, /** @type {string} */ (match[1])));
  });

/** What tells two configs' options apart, their own file's path left out. @param {ts.CompilerOptions} options */
const optionsKey = (options) => {
  const shared = { ...options };
  delete shared.configFilePath;
  return JSON.stringify(shared, Object.keys(shared).sort());
};

/**
 * The configs grouped by identical compiler options, each with the union of their files.
 * @param {string[]} configs
 */
export const programsFor = (configs) => {
  /** @type {Map<string, { options: ts.CompilerOptions, files: Set<string>, configs: string[] }>} */
  const groups = new Map();
  for (const config of configs) {
    const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')); } });
    if (!parsed) throw new Error(`cannot read ${config}`);
    if (parsed.errors.length > 0) throw new Error(ts.formatDiagnostics(parsed.errors, formatHost));
    const key = optionsKey(parsed.options);
    const group = groups.get(key) ?? { options: parsed.options, files: new Set(), configs: [] };
    for (const file of parsed.fileNames) group.files.add(file);
    group.configs.push(path.relative(ROOT, config));
    groups.set(key, group);
  }
  return [...groups.values()];
};

/** @type {ts.FormatDiagnosticsHost} */
const formatHost = { getCanonicalFileName: (file) => file, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };

const main = () => {
  const started = Date.now();
  const configs = typecheckConfigs();
  let errors = 0;
  for (const { options, files, configs: of } of programsFor(configs)) {
    const program = ts.createProgram({ rootNames: [...files], options: { ...options, noEmit: true } });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    errors += diagnostics.length;
    if (diagnostics.length > 0) console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
    console.log(`typecheck: ${files.size} files of ${of.length} tsconfig(s) in one program: ${diagnostics.length} error(s)`);
  }
  console.log(`typecheck: ${configs.length} tsconfigs, ${errors} error(s), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return errors === 0 ? 0 : 1;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
