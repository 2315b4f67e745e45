#!/usr/bin/env node
// How long each packaged function takes to load (the init part of a cold
// start that is ours), with and without --enable-source-maps, against a bare
// `node` started the same way in the same run. Run after `nx run-many -t package`:
//   node tools/bench/cold-start.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.argv[2] ?? 15);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const timeNode = (args, cwd) =>
  median(
    Array.from({ length: RUNS }, () => {
      const start = process.hrtime.bigint();
      // NODE_PATH: @aws-sdk/* is not in the zips; the Lambda runtime provides it, here the repo does.
      const env = { ...process.env, AWS_REGION: 'us-east-1', NODE_PATH: path.join(ROOT, 'node_modules') };
      const result = spawnSync(process.execPath, args, { cwd, env });
      if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    }),
  );

const work = mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
try {
  const baseline = timeNode(['-e', '0'], work);
  console.log(`bare node start: ${baseline.toFixed(1)} ms (median of ${RUNS}); load = total − bare start`);
  console.log(['service', 'function', 'load ms', 'load ms (source maps)', 'ratio'].join('\t'));
  for (const service of readdirSync(path.join(ROOT, 'services'))) {
    const packaged = path.join(ROOT, 'services', service, '.serverless');
    if (!existsSync(packaged)) continue;
    for (const zip of readdirSync(packaged).filter((file) => file.endsWith('.zip'))) {
      const dir = path.join(work, service, zip.replace('.zip', ''));
      mkdirSync(dir, { recursive: true });
      execFileSync('unzip', ['-q', '-o', path.join(packaged, zip), '-d', dir]);
      const handler = execFileSync('find', [dir, '-name', '*.js', '-path', '*handlers*'], { encoding: 'utf8' }).trim().split('\n')[0];
      const load = ['-e', `require(${JSON.stringify(handler)})`];
      const plain = timeNode(load, dir) - baseline;
      const withMaps = timeNode(['--enable-source-maps', ...load], dir) - baseline;
      console.log([service, zip.replace('.zip', ''), plain.toFixed(1), withMaps.toFixed(1), (withMaps / plain).toFixed(2)].join('\t'));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
