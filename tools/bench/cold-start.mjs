#!/usr/bin/env node
// How long each packaged function takes to load (the init part of a cold
// start that is ours), with and without --enable-source-maps, against a bare
// `node` started the same way in the same run. The bench calls
// measureColdLoads(); on its own, after `nx run-many -t package` or `npm start`:
//   node tools/bench/cold-start.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './lib/stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// `npm start` packages into .serverless-local/<hash of the inputs> (and may reuse
// an earlier package); `nx package` into .serverless. The local stack's packages
// come first, newest first: they are what a bench's stack just ran, and each is
// written whole and kept, whereas .serverless is emptied and rewritten by any
// `serverless package` run beside the bench (npm test runs several).
const PACKAGE_DIRS = ['.serverless-local', '.serverless'];

/** @param {string} dir */
const zipsIn = (dir) => (existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.zip')) : []);
/** @param {string} dir */
const newestZip = (dir) => Math.max(...zipsIn(dir).map((zip) => statSync(path.join(dir, zip)).mtimeMs));

/** Every folder of a service that holds function zips: the package folders and their subfolders. @param {string} serviceDir */
const packageDirs = (serviceDir) =>
  PACKAGE_DIRS.map((dir) => path.join(serviceDir, dir))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => [
      dir,
      ...readdirSync(dir, { withFileTypes: true })
        // *.tmp: a compilation still under way.
        .filter((entry) => entry.isDirectory() && !entry.name.endsWith('.tmp'))
        .map((entry) => path.join(dir, entry.name)),
    ])
    .filter((dir) => zipsIn(dir).length > 0);

/**
 * @param {{ runs?: number, root?: string, onProgress?: (detail: string) => void }} [options]
 */
export const measureColdLoads = ({ runs = 15, root = ROOT, onProgress } = {}) => {
  /** @param {string[]} args @param {string} cwd */
  const timeNode = (args, cwd) =>
    median(
      Array.from({ length: runs }, () => {
        const start = process.hrtime.bigint();
        // NODE_PATH: @aws-sdk/* is not in the zips; the Lambda runtime provides it, here the repo does.
        const env = { ...process.env, AWS_REGION: 'us-east-1', NODE_PATH: path.join(root, 'node_modules') };
        const result = spawnSync(process.execPath, args, { cwd, env });
        if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
        return Number(process.hrtime.bigint() - start) / 1e6;
      }),
    );

  const work = mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
  try {
    const bareNodeMs = timeNode(['-e', '0'], work);
    const functions = [];
    for (const service of readdirSync(path.join(root, 'services')).sort()) {
      const dirs = packageDirs(path.join(root, 'services', service)).filter((dir) => zipsIn(dir).length > 0);
      const local = dirs.filter((dir) => dir.includes(`${path.sep}.serverless-local`));
      const packaged = (local.length > 0 ? local : dirs).sort((a, b) => newestZip(b) - newestZip(a))[0];
      if (!packaged) continue;
      for (const zip of zipsIn(packaged)) {
        const name = zip.replace('.zip', '');
        onProgress?.(`${service}/${name}`);
        const dir = path.join(work, service, name);
        mkdirSync(dir, { recursive: true });
        execFileSync('unzip', ['-q', '-o', path.join(packaged, zip), '-d', dir]);
        const handler = execFileSync('find', [dir, '-name', '*.js', '-path', '*handlers*'], { encoding: 'utf8' }).trim().split('\n')[0];
        const load = ['-e', `require(${JSON.stringify(handler)})`];
        const totalMs = timeNode(load, dir);
        const totalWithMapsMs = timeNode(['--enable-source-maps', ...load], dir);
        functions.push({
          service,
          function: name,
          packageDir: path.relative(root, packaged),
          totalMs,
          loadMs: totalMs - bareNodeMs,
          loadWithSourceMapsMs: totalWithMapsMs - bareNodeMs,
        });
      }
    }
    if (functions.length === 0) throw new Error('no packaged functions under services/*/.serverless or .serverless-local: run `npm start` or `nx run-many -t package` first');
    return { runs, bareNodeMs, functions };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 15);
  const { bareNodeMs, functions } = measureColdLoads({ runs });
  console.log(`bare node start: ${bareNodeMs.toFixed(1)} ms (median of ${runs}); load = total − bare start`);
  console.log(['service', 'function', 'load ms', 'load ms (source maps)', 'ratio'].join('\t'));
  for (const f of functions) {
    console.log([f.service, f.function, f.loadMs.toFixed(1), f.loadWithSourceMapsMs.toFixed(1), (f.loadWithSourceMapsMs / f.loadMs).toFixed(2)].join('\t'));
  }
}
