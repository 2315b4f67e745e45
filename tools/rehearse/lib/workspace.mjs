// The rehearsal's own copy of the workspace (what git would commit: tracked
// and untracked, not ignored), so that its deploys, packages and the one
// function it changes never touch the working tree. Its node_modules links to
// the installed packages, but for the workspace links (@platform/*), made
// anew inside the copy so that they resolve to the copy's code.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const EVENT_BUS = 'event-bus';

/**
 * Copies the workspace into `dir`.
 * @param {string} dir an empty folder
 */
export const copyWorkspace = (dir) => {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    try {
      cpSync(path.join(ROOT, file), path.join(dir, file));
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error; // deleted in the working tree
    }
  }
  const real = path.join(ROOT, 'node_modules');
  mkdirSync(path.join(dir, 'node_modules/@platform'), { recursive: true });
  for (const entry of readdirSync(real)) if (entry !== '@platform') symlinkSync(path.join(real, entry), path.join(dir, 'node_modules', entry));
  for (const entry of readdirSync(path.join(real, '@platform'))) {
    symlinkSync(readlinkSync(path.join(real, '@platform', entry)), path.join(dir, 'node_modules/@platform', entry));
  }
  return files.length;
};

/**
 * The order CI deploys `projects` in: Nx's task graph of their `deploy` target
 * (each after the deploys it depends on: the bus first), as `nx run-many -t
 * deploy` runs it one at a time.
 * @param {{ dir: string, env: NodeJS.ProcessEnv, projects?: string[] }} options projects: all with a deploy target if not given
 * @returns {Array<{ name: string, root: string }>}
 */
export const deployOrder = ({ dir, env, projects }) => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'rehearse-graph-'));
  const file = path.join(scratch, 'graph.json');
  /** @type {{ graph: { nodes: Record<string, { data: { root: string } }> }, tasks: { dependencies: Record<string, string[]> } }} */
  let taskGraph;
  try {
    execFileSync('npm', ['exec', '--', 'nx', 'run-many', '-t', 'deploy', ...(projects ? [`--projects=${projects.join(',')}`] : []), `--graph=${file}`], {
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    taskGraph = JSON.parse(readFileSync(file, 'utf8'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return topologicalOrder(taskGraph.tasks.dependencies).map((task) => {
    const name = task.slice(0, -':deploy'.length);
    const node = taskGraph.graph.nodes[name];
    if (!node) throw new Error(`Nx's graph has no project ${name}`);
    return { name, root: node.data.root };
  });
};

/**
 * Tasks after their dependencies; among those ready at once, by name.
 * @param {Record<string, string[]>} dependencies task -> the tasks it waits for
 * @returns {string[]}
 */
export const topologicalOrder = (dependencies) => {
  /** @type {string[]} */
  const order = [];
  const pending = new Set(Object.keys(dependencies));
  while (pending.size > 0) {
    const ready = [...pending].filter((task) => (dependencies[task] ?? []).every((dep) => !pending.has(dep))).sort();
    if (ready.length === 0) throw new Error(`a cycle among ${[...pending].join(', ')}`);
    for (const task of ready) {
      order.push(task);
      pending.delete(task);
    }
  }
  return order;
};

/**
 * `serverless <args>` in a service's folder, through npm exec (the framework
 * of the lockfile on the Node of node_modules/.bin); its output goes to `logFile`.
 * @param {{ cwd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string }} options
 * @returns {Promise<{ code: number, output: string, ms: number }>}
 */
export const serverless = ({ cwd, args, env, logFile }) =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('npm', ['exec', '--', 'serverless', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`\n$ serverless ${args.join(' ')}   (in ${cwd})\n`);
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        log.write(chunk);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      log.end();
      resolve({ code: code ?? 1, output, ms: Date.now() - started });
    });
  });
