#!/usr/bin/env node
// `npm run smoke [-- --stage <stage>] [--timeout <seconds>]`: the smoke test of
// a stage (system-tests/smoke/lib/smoke.mjs), the local stack by default.
// One line per step with its timing; exit code 0 when every step passed, 1 when
// one failed, 2 on a usage or setup error (the stage cannot be found, no token).
import { parseArgs } from 'node:util';

const usage = 'usage: npm run smoke -- [--stage local] [--timeout 60]';

const main = async () => {
  /** @type {{ stage?: string, timeout?: string, help?: boolean }} */
  let values;
  try {
    ({ values } = parseArgs({ options: { stage: { type: 'string', default: 'local' }, timeout: { type: 'string', default: '60' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`${/** @type {Error} */ (error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const stage = /** @type {string} */ (values.stage);
  const timeoutSeconds = Number(values.timeout);
  if (!/^[a-z][a-z0-9-]*$/.test(stage) || !(timeoutSeconds > 0)) {
    console.error(usage);
    return 2;
  }
  const { resolveStage } = await import('./lib/stage.mjs');
  const { runSmoke } = await import('./lib/smoke.mjs');
  let resolved;
  try {
    resolved = await resolveStage(stage);
  } catch (error) {
    console.error(`[smoke] ${stage}: ${/** @type {Error} */ (error).message}`);
    return 2;
  }
  console.log(`[smoke] ${stage}: ${resolved.where}`);
  const result = await runSmoke({ stage, target: resolved.target, token: resolved.token, timeoutMs: timeoutSeconds * 1000, log: (line) => console.log(`[smoke] ${line}`) });
  console.log(`[smoke] ${stage}: ${result.ok ? 'passed' : 'FAILED'} in ${(result.ms / 1000).toFixed(1)} s`);
  return result.ok ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[smoke] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
