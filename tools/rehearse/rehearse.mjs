#!/usr/bin/env node
// The deploy rehearsal: every stack deployed with the real `serverless deploy`,
// in the order CI deploys them, to moto's CloudFormation on a free local port,
// then redeployed, changed, checked, removed and deployed again. No AWS
// account; nothing in the working tree changes (it runs in a copy). What it
// proves and what it cannot: docs/rehearsal.md.
//
//   npm run rehearse [-- --only items-api,notifier] [--stage rh1] [--keep]
//     --only   the services to rehearse (the pull-request workflow passes the
//              affected ones); the event bus is always deployed first
//     --stage  the stage to deploy (default rh1)
//     --keep   keep the copy and its logs (kept anyway when a check fails)
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { account } from './lib/aws.mjs';
import { NEVER_VERIFIED, SKIPPED_ALLOWED, classify, countByType } from './lib/coverage.mjs';
import { MOTO_INSTALL, MOTO_VERSION, motoVersion, startMoto } from './lib/moto.mjs';
import { EVENT_BUS, copyWorkspace, deployOrder, serverless } from './lib/workspace.mjs';

const REGION = 'us-east-1';
const started = Date.now();

const { values: options } = parseArgs({
  options: { only: { type: 'string' }, stage: { type: 'string', default: 'rh1' }, keep: { type: 'boolean', default: false } },
});
const stage = /** @type {string} */ (options.stage);
const NO_BUS_STAGE = `${stage}nb`;

const version = motoVersion();
if (!version) {
  console.error(`rehearse: moto's server is not installed for ${process.env.REHEARSE_PYTHON || 'python3'}: ${MOTO_INSTALL}`);
  process.exit(1);
}

/** @param {number} n @param {string} one @param {string} [many] */
const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
/** @type {string[]} */
const verified = [];
/** @type {string[]} */
const notVerified = [];
/** @type {string[]} */
const failures = [];
/**
 * One line per check, with its time.
 * @param {boolean} ok @param {string} line @param {number} since
 */
const report = (ok, line, since) => {
  const text = `${line}  (${seconds(Date.now() - since)})`;
  console.log(`${ok ? '✔' : '✘'} ${text}`);
  (ok ? verified : failures).push(text);
};
/** @param {string} output the last lines of a command's output, indented */
const tail = (output, lines = 15) =>
  output
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => `    | ${line}`)
    .join('\n');

const dir = mkdtempSync(path.join(os.tmpdir(), 'rehearse-'));
const logFile = path.join(dir, 'rehearse.log');
const moto = await startMoto({ logFile: path.join(dir, 'moto.log') });
const aws = account({ endpoint: moto.endpoint, region: REGION });

// Only what a deploy in CI gets: the emulator as every SDK client's endpoint,
// dummy credentials, the stage params of the APIs' authorizers.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|NX_|SLS_|JWT_|CORS_|ALARM_)/.test(key)));
Object.assign(env, {
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_ACCESS_KEY_ID: 'rehearsal',
  AWS_SECRET_ACCESS_KEY: 'rehearsal',
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  // How often the framework polls a stack being deployed (default 5 s).
  SLS_AWS_MONITORING_FREQUENCY: '500',
  JWT_ISSUER_URL: 'https://issuer.example.com/',
  JWT_AUDIENCE: 'platform-api',
  CORS_ORIGINS: 'https://app.example.com',
  CI: 'true',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
});

/** @typedef {{ name: string, root: string }} Service */
/** @param {Service} service @param {string} [onStage] */
const stackName = (service, onStage = stage) => `${service.name}-${onStage}`;
/** @param {Service} service @param {string} command @param {string} [onStage] */
const run = (service, command, onStage = stage) =>
  serverless({ cwd: path.join(dir, service.root), args: [command, '--stage', onStage], env, logFile });
/** @param {Service} service the template its last `serverless package` or `deploy` compiled */
const compiledTemplate = (service) => JSON.parse(readFileSync(path.join(dir, service.root, '.serverless/cloudformation-template-update-stack.json'), 'utf8'));
/** @param {any} value @returns {string[]} every Fn::ImportValue name in a template's JSON */
const importsOf = (value) => {
  if (Array.isArray(value)) return value.flatMap(importsOf);
  if (value === null || typeof value !== 'object') return [];
  if (typeof value['Fn::ImportValue'] === 'string') return [value['Fn::ImportValue']];
  return Object.values(value).flatMap(importsOf);
};

/** @type {Map<string, any>} the template each service was deployed with */
const templates = new Map();
/** @type {Map<string, Array<{ id: string, type: string, coveredBy?: string }>>} what moto skipped, by service */
const skippedBy = new Map();

try {
  let since = Date.now();
  const files = copyWorkspace(dir);
  const only = options.only?.split(/[,\s]+/).filter(Boolean);
  const order = deployOrder({ dir, env, projects: only && [...new Set([EVENT_BUS, ...only])] });
  if (order[0]?.name !== EVENT_BUS) throw new Error(`the event bus must deploy first; Nx's order is ${order.map((s) => s.name).join(', ')}`);
  const unknown = (only ?? []).filter((name) => !order.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(`--only ${unknown.join(', ')}: no such project with a deploy target (nx show projects --with-target deploy lists them)`);
  }
  const services = order.slice(1);
  console.log(
    `rehearse: moto ${version} with tools/rehearse/moto_server.py's fixes on ${moto.endpoint}; stage ${stage}; ` +
      `a copy of the workspace (${files} files) in ${dir}` +
      (version === MOTO_VERSION ? '' : `; the fixes were made for moto ${MOTO_VERSION}`),
  );
  report(true, `deploy order, from Nx's task graph of \`deploy\` (as CI runs it): ${order.map((s) => s.name).join(' → ')}`, since);

  // 1. Every stack, in order: what moto created, and what it only said it did.
  for (const service of order) {
    since = Date.now();
    const mark = moto.mark();
    const result = await run(service, 'deploy');
    if (result.code !== 0) {
      report(false, `serverless deploy ${service.name} failed:\n${tail(result.output)}`, since);
      throw new Error(`cannot go on without ${service.name}`);
    }
    const template = compiledTemplate(service);
    templates.set(service.name, template);
    const created = new Set((await aws.resources(stackName(service))).map((r) => /** @type {string} */ (r.LogicalResourceId)));
    const { made, skipped, conditional, unexplained, notAllowed } = classify(template, created, moto.skippedSince(mark));
    skippedBy.set(service.name, skipped);
    const status = (await aws.stack(stackName(service)))?.StackStatus;
    report(
      unexplained.length === 0 && notAllowed.length === 0,
      `serverless deploy ${service.name}: stack ${stackName(service)} ${status}; moto created ${made.length} of its ${Object.keys(template.Resources).length} resources`,
      since,
    );
    if (skipped.length > 0) console.log(`    not created (no moto support): ${countByType(skipped)}`);
    if (conditional.length > 0) console.log(`    not created (condition false on this stage): ${conditional.map((r) => `${r.id} (${r.condition})`).join(', ')}`);
    if (unexplained.length > 0) console.log(`    ✘ not created, for no reason moto gave: ${unexplained.map((r) => `${r.id} (${r.type})`).join(', ')}`);
    for (const type of notAllowed) {
      console.log(`    ✘ moto skipped ${type}, which no check covers: add it to SKIPPED_ALLOWED (tools/rehearse/lib/coverage.mjs) with the check that does`);
    }
  }

  // 2. The same again: nothing to deploy.
  for (const service of order) {
    since = Date.now();
    const events = await aws.eventCount(stackName(service));
    const result = await run(service, 'deploy');
    // The framework skips the deploy when its artifacts and template are unchanged; a stack
    // without functions (the bus) gets an empty change set, which it deletes unexecuted.
    const how =
      result.code !== 0
        ? undefined
        : /No changes to deploy\. Deployment skipped\./.test(result.output)
          ? 'skipped (artifacts and template unchanged)'
          : /Change set did not include any changes/.test(result.output)
            ? 'empty change set, deleted unexecuted'
            : undefined;
    const unchanged = (await aws.eventCount(stackName(service))) === events;
    report(
      Boolean(how) && unchanged,
      `redeploy ${service.name} unchanged: ${how ?? `not a no-op:\n${tail(result.output)}`}${unchanged ? ', no stack event' : ', but the stack has new events'}`,
      since,
    );
  }

  // 3. One function's code changes: that function's stack updates, nothing else.
  const changed = services[0];
  if (!changed) notVerified.push('a code change updating one stack only: no service selected besides the bus');
  else {
    since = Date.now();
    const [functionId, fn] = /** @type {[string, any]} */ (
      Object.entries(templates.get(changed.name).Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function')
    );
    const handlerBase = path.join(dir, changed.root, fn.Properties.Handler.replace(/\.[^.]+$/, ''));
    const source = ['.ts', '.mts', '.js', '.mjs', '.cjs'].map((ext) => handlerBase + ext).find((file) => existsSync(file));
    if (!source) throw new Error(`no source file for ${functionId}'s handler ${fn.Properties.Handler}`);
    /** @returns {Promise<Map<string, string>>} every function of the stage, by name: its code's hash */
    const codeOfStage = async () =>
      new Map([...(await aws.functions('')).entries()].filter(([name]) => order.some((s) => name.startsWith(`${s.name}-${stage}-`))).map(([name, f]) => [name, f.codeSha256]));
    const before = await codeOfStage();
    const eventsBefore = await Promise.all(order.map((s) => aws.eventCount(stackName(s))));
    const original = readFileSync(source, 'utf8');
    writeFileSync(source, `${original}\nexport const rehearsalChange = '${Date.now()}';\n`);
    let result;
    try {
      result = await run(changed, 'deploy');
    } finally {
      writeFileSync(source, original);
    }
    const after = await codeOfStage();
    const changedCode = [...after].filter(([name, sha]) => before.get(name) !== sha).map(([name]) => name);
    const eventsAfter = await Promise.all(order.map((s) => aws.eventCount(stackName(s))));
    const updatedStacks = order.filter((_, i) => eventsAfter[i] !== eventsBefore[i]).map((s) => s.name);
    const ok = result.code === 0 && changedCode.join() === fn.Properties.FunctionName && updatedStacks.join() === changed.name;
    report(
      ok,
      `code change in ${path.relative(dir, source)}: ${changed.name} updated ${changedCode.join(', ') || 'no function'} ` +
        `(${count(before.size - changedCode.length, 'other function')} of the stage unchanged); stacks updated: ${updatedStacks.join(', ') || 'none'}` +
        (result.code === 0 ? '' : `\n${tail(result.output)}`),
      since,
    );
  }

  // 4. Wiring: the bus's exports, each service's imports of them, and a stage with no bus.
  since = Date.now();
  const exported = await aws.exports();
  const bus = /** @type {Service} */ (order[0]);
  const busStack = await aws.stack(stackName(bus));
  const busResources = new Map((await aws.resources(stackName(bus))).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
  /** @type {string[]} */
  const wiringProblems = [];
  const busExports = Object.values(templates.get(EVENT_BUS).Outputs ?? {}).filter((o) => o.Export);
  for (const output of busExports) {
    const found = exported.get(output.Export.Name);
    const expected = output.Value.Ref ? busResources.get(output.Value.Ref) : undefined;
    if (!found || found.stackId !== busStack?.StackId) wiringProblems.push(`${output.Export.Name} is not exported by ${stackName(bus)}`);
    else if (expected && found.value !== expected) wiringProblems.push(`${output.Export.Name} is ${found.value}, not ${expected}`);
  }
  let imports = 0;
  let envChecks = 0;
  for (const service of services) {
    const template = templates.get(service.name);
    for (const name of new Set(importsOf(template.Resources))) {
      imports += 1;
      if (exported.get(name)?.stackId !== busStack?.StackId) wiringProblems.push(`${service.name} imports ${name}, which the bus does not export`);
    }
    const deployed = await aws.functions(`${service.name}-${stage}-`);
    for (const resource of Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      for (const [key, value] of Object.entries(resource.Properties.Environment?.Variables ?? {})) {
        const name = /** @type {any} */ (value)?.['Fn::ImportValue'];
        if (typeof name !== 'string') continue;
        envChecks += 1;
        const actual = deployed.get(resource.Properties.FunctionName)?.environment[key];
        if (actual !== exported.get(name)?.value) wiringProblems.push(`${resource.Properties.FunctionName} ${key}=${actual}, not the export ${name}`);
      }
    }
  }
  report(
    wiringProblems.length === 0,
    `exports and imports: the bus exports ${busExports.map((o) => o.Export.Name).join(', ')}; ${imports} Fn::ImportValue in ${count(services.length, 'service')} ` +
      `resolve to them; ${count(envChecks, 'function environment variable carries', 'function environment variables carry')} the exported value` +
      wiringProblems.map((p) => `\n    ✘ ${p}`).join(''),
    since,
  );

  // Longest names against IAM's and Lambda's 64 characters.
  since = Date.now();
  /** @type {Array<{ name: string, type: string }>} */
  const named = [];
  for (const service of order) {
    for (const r of await aws.resources(stackName(service))) {
      if (r.ResourceType === 'AWS::IAM::Role' || r.ResourceType === 'AWS::Lambda::Function') named.push({ name: r.PhysicalResourceId ?? '', type: r.ResourceType });
    }
  }
  const longest = named.reduce((a, b) => (b.name.length > a.name.length ? b : a), { name: '', type: '' });
  const tooLong = named.filter((n) => n.name.length > 64);
  report(
    tooLong.length === 0,
    `names: ${count(named.length, 'role and function', 'roles and functions')} within 64 characters on stage ${stage}; the longest, ${longest.name.length}: ${longest.name}` +
      tooLong.map((n) => `\n    ✘ ${n.type} ${n.name} (${n.name.length})`).join(''),
    since,
  );

  // The service with the smallest template: the quickest to package.
  const orphan = services.reduce(
    (/** @type {Service | undefined} */ smallest, s) =>
      !smallest || Object.keys(templates.get(s.name).Resources).length < Object.keys(templates.get(smallest.name).Resources).length ? s : smallest,
    undefined,
  );
  if (!orphan) notVerified.push('a service on a stage with no bus: no service selected besides the bus');
  else {
    since = Date.now();
    const result = await run(orphan, 'deploy', NO_BUS_STAGE);
    const missing = [...new Set(importsOf(compiledTemplate(orphan).Resources))];
    const named = missing.filter((name) => result.output.includes(`No export named ${name}`));
    report(
      result.code !== 0 && named.length > 0,
      `${orphan.name} on stage ${NO_BUS_STAGE}, which has no bus: ` +
        (result.code === 0 ? '`serverless deploy` succeeded, though the bus is missing' : `refused: "No export named ${named[0] ?? '…'} found"`) +
        (named.length > 0 ? '' : `\n${tail(result.output)}`),
      since,
    );
  }

  // 5. `serverless remove`, services before the bus (CloudFormation keeps an export another stack imports).
  since = Date.now();
  /** @type {Map<string, Array<{ id: string, type: string, physicalId: string, retained: boolean }>>} */
  const beforeRemove = new Map();
  for (const service of order) {
    const template = templates.get(service.name);
    beforeRemove.set(
      service.name,
      (await aws.resources(stackName(service))).map((r) => ({
        id: /** @type {string} */ (r.LogicalResourceId),
        type: /** @type {string} */ (r.ResourceType),
        physicalId: /** @type {string} */ (r.PhysicalResourceId),
        retained: template.Resources[/** @type {string} */ (r.LogicalResourceId)]?.DeletionPolicy === 'Retain',
      })),
    );
  }
  /** @type {string[]} */
  const removeProblems = [];
  for (const service of [...order].reverse()) {
    const result = await run(service, 'remove');
    if (result.code !== 0) removeProblems.push(`serverless remove ${service.name} failed:\n${tail(result.output)}`);
    if (await aws.stack(stackName(service))) removeProblems.push(`stack ${stackName(service)} still exists`);
  }
  /** @type {Array<{ id: string, type: string, physicalId: string }>} */
  const kept = [];
  /** @type {Array<{ type: string }>} */
  const gone = [];
  /** @type {Array<{ type: string }>} */
  const notLookedUp = [];
  for (const [service, resources] of beforeRemove) {
    for (const resource of resources) {
      const exists = aws.existsByType[resource.type];
      if (!exists) {
        notLookedUp.push(resource);
        continue;
      }
      const there = await exists(resource.physicalId);
      if (there && resource.retained) kept.push(resource);
      else if (!there && !resource.retained) gone.push(resource);
      else removeProblems.push(`${service} ${resource.id} (${resource.type}) ${there ? 'still exists' : 'is gone, though retained'}`);
    }
  }
  report(
    removeProblems.length === 0,
    `serverless remove: ${count(order.length, 'stack')} gone; retained ${kept.map((r) => r.id).join(', ') || 'nothing'}; ` +
      `gone: ${countByType(gone)}; not looked up: ${countByType(notLookedUp)}` +
      removeProblems.map((p) => `\n    ✘ ${p}`).join(''),
    since,
  );

  // 6. The same stage again: the retained resources are in the way, and the deploy says so before CloudFormation is asked.
  for (const service of order) {
    since = Date.now();
    const retainedThere = kept.filter((r) => beforeRemove.get(service.name)?.some((own) => own.physicalId === r.physicalId));
    const result = await run(service, 'deploy');
    if (retainedThere.length === 0) {
      report(result.code === 0, `deploy ${service.name} again after remove (it retains nothing): ${result.code === 0 ? '`serverless deploy` succeeded' : `failed:\n${tail(result.output)}`}`, since);
      continue;
    }
    const names = retainedThere.map((r) => `${r.id} (${r.type})`);
    const allNamed = retainedThere.every((r) => result.output.includes(`- ${r.id} (${r.type})`));
    const stopped = (await aws.stack(stackName(service))) === null;
    report(
      result.code !== 0 && /does not exist, but .* retains/.test(result.output) && allNamed && stopped,
      `deploy ${service.name} again after remove: refused before CloudFormation was asked, naming ${names.join(', ')}` +
        (result.code !== 0 && allNamed ? '' : `\n${tail(result.output)}`),
      since,
    );
  }
} catch (error) {
  failures.push(/** @type {Error} */ (error).message);
  console.log(`✘ ${/** @type {Error} */ (error).message}`);
} finally {
  await moto.stop();
}

// What a rehearsal cannot tell: the types moto skipped (each with the check that covers it), and what it ignores.
/** @type {Map<string, Set<string>>} */
const skippedTypes = new Map();
for (const [service, resources] of skippedBy) {
  for (const { type } of resources) skippedTypes.set(type, (skippedTypes.get(type) ?? new Set()).add(service));
}
for (const [type, services] of skippedTypes) {
  const coveredBy = SKIPPED_ALLOWED[type];
  const line = `${type} (${[...services].join(', ')}): moto skipped it; ${coveredBy ? `covered by ${coveredBy}` : 'NOT COVERED by any check'}`;
  if (coveredBy) notVerified.push(line);
  else failures.push(line);
}
for (const [what, why] of NEVER_VERIFIED) notVerified.push(`${what}: ${why}`);

console.log(`\nVerified (${verified.length}):`);
for (const line of verified) console.log(`  ✔ ${line.split('\n')[0]}`);
console.log(`Not verified by this rehearsal (${notVerified.length}):`);
for (const line of notVerified) console.log(`  – ${line}`);
if (failures.length > 0) {
  console.log(`Failed (${failures.length}):`);
  for (const line of failures) console.log(`  ✘ ${line.split('\n')[0]}`);
}
const keep = failures.length > 0 || options.keep;
console.log(
  `\nrehearse: ${failures.length === 0 ? 'passed' : 'FAILED'} in ${seconds(Date.now() - started)}; ` +
    (keep ? `the copy and its logs (rehearse.log, moto.log) are in ${dir}` : 'the copy is removed (--keep keeps it and its logs)'),
);
if (!keep) rmSync(dir, { recursive: true, force: true });
process.exitCode = failures.length === 0 ? 0 : 1;
