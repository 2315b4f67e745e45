#!/usr/bin/env node
// cfn-lint, AWS's CloudFormation linter, on compiled templates: what
// CloudFormation itself would reject (unknown types and properties, missing
// required ones, wrongly typed values, references to what the template does
// not define, deprecated runtimes, ...), before a deploy finds it half-way
// through a stack update. It is a Python program, pinned to one version
// (CFN_LINT_VERSION) because .cfnlintrc.yaml, next to this file, lists the
// findings of that version we accept. ADR 0006.
//
//   node tools/policy/cfn-lint.mjs [template.json ...]
//     lints the templates given, or else every services/*/.serverless/
//     cloudformation-template-*.json there is (what `serverless package`
//     wrote); lists the findings and exits 1 if there are any.
//   cfnLint(files) -> Finding[]   (tools/policy/test/ runs it on every service)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CFN_LINT_VERSION = '1.51.0';
export const CFN_LINT_INSTALL = `pip install cfn-lint==${CFN_LINT_VERSION}`;
/** The findings we accept, each with its reason. */
export const CFN_LINT_CONFIG = fileURLToPath(new URL('./.cfnlintrc.yaml', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * One finding: the rule (e.g. "E3002"), its level (Error, Warning,
 * Informational), the template file and line, where in the template
 * ("Resources/Fn/Properties/Timout") and what cfn-lint says.
 * @typedef {{ rule: string, level: string, file: string, line: number, path: string, message: string }} Finding
 */

/**
 * A finding as cfn-lint's `--format json` reports it (the fields we read).
 * @typedef {object} JsonFinding
 * @property {{ Id: string }} Rule
 * @property {string} Level
 * @property {string | null} Filename
 * @property {{ Start: { LineNumber: number }, Path: (string | number)[] | null }} Location
 * @property {string} Message
 */

/**
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 */
function run(args, env) {
  const result = spawnSync('cfn-lint', args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (result.error && /** @type {NodeJS.ErrnoException} */ (result.error).code === 'ENOENT') {
    throw new Error(
      `cfn-lint is not on PATH. The template checks need it (a Python 3.10+ program, ADR 0006): ${CFN_LINT_INSTALL}`,
    );
  }
  if (result.error) throw result.error;
  return result;
}

/** @type {Set<string | undefined>} the PATHs whose cfn-lint has been found to be the pinned version */
const checked = new Set();

/**
 * Fails unless the cfn-lint on `env`'s PATH is CFN_LINT_VERSION: another
 * version has other rules, so .cfnlintrc.yaml would not say what we accept.
 * @param {NodeJS.ProcessEnv} env
 */
function requirePinnedVersion(env) {
  if (checked.has(env.PATH)) return;
  const { stdout, stderr, status } = run(['--version'], env);
  const version = /cfn-lint (\S+)/.exec(stdout)?.[1];
  if (status !== 0 || version !== CFN_LINT_VERSION) {
    throw new Error(
      `cfn-lint ${version ?? `(--version exited ${status}: ${stderr.trim()})`} is on PATH; the template checks ` +
        `and tools/policy/.cfnlintrc.yaml are for ${CFN_LINT_VERSION}: ${CFN_LINT_INSTALL}`,
    );
  }
  checked.add(env.PATH);
}

/**
 * cfn-lint's findings on `files` (CloudFormation templates), with
 * `config` (by default tools/policy/.cfnlintrc.yaml). Throws, saying how to
 * install it, when cfn-lint is missing or another version.
 * @param {string[]} files
 * @param {{ config?: string, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Finding[]}
 */
export function cfnLint(files, { config = CFN_LINT_CONFIG, env = process.env } = {}) {
  if (files.length === 0) throw new Error('cfnLint: no templates given');
  // cfn-lint silently runs without a config file it cannot find.
  if (!existsSync(config)) throw new Error(`cfnLint: no config file ${config}`);
  requirePinnedVersion(env);
  const { stdout, stderr, status } = run(['--config-file', config, '--format', 'json', '--', ...files], env);
  // The exit status is 0, or a bit mask of what it found: 2 errors, 4 warnings, 8 informational.
  /** @type {JsonFinding[]} */
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`cfn-lint exited ${status} without a JSON report:\n${stdout}\n${stderr}`);
  }
  if (!Array.isArray(report) || (status !== 0 && report.length === 0)) {
    throw new Error(`cfn-lint exited ${status} with report ${stdout}\n${stderr}`);
  }
  // A finding of no file (E0003: a file it could not read, a bad option) is about the run, not a template.
  const unattached = report.filter((finding) => !finding.Filename);
  if (unattached.length > 0) throw new Error(`cfn-lint could not run: ${unattached.map((finding) => `${finding.Rule.Id} ${finding.Message}`).join('; ')}`);
  return report.map((finding) => ({
    rule: finding.Rule.Id,
    level: finding.Level,
    file: finding.Filename ?? '',
    line: finding.Location.Start.LineNumber,
    path: (finding.Location.Path ?? []).join('/'),
    message: finding.Message,
  }));
}

/**
 * "W3005 services/x/.serverless/t.json:166 Resources/Fn/DependsOn/0: <message>"
 * @param {Finding} finding
 */
export const formatFinding = ({ rule, file, line, path: where, message }) =>
  `${rule} ${file ? path.relative(ROOT, path.resolve(file)) : '(no file)'}:${line} ${where || '(template)'}: ${message}`;

/** The templates `serverless package` left in services/<service>/.serverless/, for every service there is. */
export function packagedTemplates(servicesDir = path.join(ROOT, 'services')) {
  return readdirSync(servicesDir)
    .sort()
    .map((service) => path.join(servicesDir, service, '.serverless'))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => /^cloudformation-template-.*\.json$/.test(name))
        .sort()
        .map((name) => path.join(dir, name)),
    );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : packagedTemplates();
  if (files.length === 0) {
    console.log('cfn-lint: no packaged templates in services/*/.serverless (nothing was packaged)');
  } else {
    try {
      const findings = cfnLint(files);
      for (const finding of findings) console.log(formatFinding(finding));
      const names = files.map((file) => path.relative(ROOT, path.resolve(file)));
      console.log(`cfn-lint ${CFN_LINT_VERSION}: ${findings.length} finding(s) in ${files.length} template(s):\n  ${names.join('\n  ')}`);
      if (findings.length > 0) process.exitCode = 1;
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    }
  }
}
