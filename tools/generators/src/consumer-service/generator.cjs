// `nx g @platform/generators:consumer-service`: a new service that consumes
// domain events from items-api's topic, shaped like services/notifier: an SNS
// subscription filtered on the event types, its own queue and DLQ, one
// function that parses each record with sqsEventHandler and hands it to a
// small domain module, a unit test, and its ownership (project tags,
// tools/ownership/teams.json, .github/CODEOWNERS).
const path = require('node:path');
const { generateFiles, getProjects, joinPathFragments, logger, names, updateJson, writeJson } = require('@nx/devkit');

const CONTRACTS_FILE = 'libs/events/src/contracts.ts';
const TEAMS_FILE = 'tools/ownership/teams.json';
const CODEOWNERS_FILE = '.github/CODEOWNERS';

// AWS builds names from the service name: the function's IAM role
// `<name>-<stage>-handleEvents-<region>` may have 64 characters at most, so
// the name leaves room for the stage and the region.
const MAX_NAME_LENGTH = 24;
const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const GITHUB_TEAM = /^@[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

// One valid `data` per event type, as TypeScript source, for the generated test.
const SAMPLE_DATA = {
  'item.created': "{ id: 'item-1', name: 'Widget', priceCents: 1999, stock: 5, version: 1 }",
  'item.updated': "{ id: 'item-1', name: 'Widget', priceCents: 2499, stock: 4, version: 2 }",
  'item.deleted': "{ id: 'item-1' }",
  'order.placed': "{ orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' }",
  'order.confirmed': "{ orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' }",
  'order.rejected': "{ orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com', reason: 'OUT_OF_STOCK' }",
};

/** The event types libs/events defines (the keys of EventSchemas). */
const knownEventTypes = (tree) => {
  const source = tree.read(CONTRACTS_FILE, 'utf-8');
  if (!source) throw new Error(`${CONTRACTS_FILE} not found: run the generator from the workspace root.`);
  const types = [...source.matchAll(/^\s*'([a-z]+\.[a-z]+)':\s*envelopeSchema\(/gm)].map((match) => match[1]);
  if (types.length === 0) throw new Error(`Found no event types in ${CONTRACTS_FILE} (expected "'type': envelopeSchema(…)" entries).`);
  return types;
};

const parseEvents = (tree, events) => {
  const requested = [...new Set((Array.isArray(events) ? events : String(events ?? '').split(',')).map((type) => type.trim()).filter(Boolean))];
  if (requested.length === 0) throw new Error('--events must name at least one event type, e.g. --events=order.confirmed,order.rejected');
  const known = knownEventTypes(tree);
  const unknown = requested.filter((type) => !known.includes(type));
  if (unknown.length > 0) {
    throw new Error(`Unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}. --events must be a subset of: ${known.join(', ')} (${CONTRACTS_FILE}).`);
  }
  const withoutSample = requested.filter((type) => !SAMPLE_DATA[type]);
  if (withoutSample.length > 0) {
    throw new Error(`The generator has no sample data for ${withoutSample.join(', ')}: add it to SAMPLE_DATA in ${path.relative(process.cwd(), __filename)}.`);
  }
  return requested;
};

const normalizeOptions = (tree, options) => {
  const name = String(options.name ?? '').trim();
  if (!KEBAB_CASE.test(name)) throw new Error(`--name must be kebab-case (e.g. billing-sync), got "${name}".`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`--name "${name}" is ${name.length} characters; keep it to ${MAX_NAME_LENGTH} so that AWS names built from it (IAM role <name>-<stage>-handleEvents-<region>, at most 64) fit.`);
  }
  const projectRoot = `services/${name}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists; choose another --name.`);
  if (getProjects(tree).has(name)) throw new Error(`There is already an Nx project named "${name}"; choose another --name.`);

  const team = String(options.team ?? '').trim();
  if (!KEBAB_CASE.test(team)) throw new Error(`--team must be a scope name in kebab-case (e.g. billing), got "${team}".`);
  if (!tree.exists(TEAMS_FILE)) throw new Error(`${TEAMS_FILE} not found: run the generator from the workspace root.`);
  const { scopes = {} } = JSON.parse(tree.read(TEAMS_FILE, 'utf-8'));
  const githubTeam = String(options.githubTeam ?? scopes[team] ?? `@acme/${team}`).trim();
  if (!GITHUB_TEAM.test(githubTeam)) throw new Error(`--githubTeam must look like @org/team, got "${githubTeam}".`);
  if (scopes[team] && scopes[team] !== githubTeam) {
    throw new Error(`Scope "${team}" belongs to ${scopes[team]} in ${TEAMS_FILE}, not ${githubTeam}; omit --githubTeam or pick another --team.`);
  }

  return { name, projectRoot, team, githubTeam, events: parseEvents(tree, options.events), teamIsNew: !scopes[team] };
};

/** serverless-offline's ports for a standalone `nx run <name>:offline`: the next free block of ten after the other services'. */
const nextOfflinePorts = (tree) => {
  let highest = 3000;
  for (const service of tree.exists('services') ? tree.children('services') : []) {
    const config = tree.read(`services/${service}/serverless.yml`, 'utf-8') ?? '';
    for (const match of config.matchAll(/(?:httpPort|lambdaPort):.*?'(\d{4,5})'/g)) highest = Math.max(highest, Number(match[1]));
  }
  const httpPort = Math.floor(highest / 10) * 10 + 10;
  return { httpPort, lambdaPort: httpPort + 2 };
};

/** The expression, in the domain module, for the entity an event is about. */
const subjectExpression = (events) => {
  const orders = events.some((type) => type.startsWith('order.'));
  const items = events.some((type) => type.startsWith('item.'));
  if (orders && items) return "'orderId' in event.data ? event.data.orderId : event.data.id";
  return orders ? 'event.data.orderId' : 'event.data.id';
};

/** Producers' published samples (services/<producer>/contracts/<type>.json) of the subscribed types. */
const producerSamples = (tree, events, name) =>
  (tree.exists('services') ? tree.children('services') : [])
    .filter((service) => service !== name)
    .sort()
    .flatMap((service) => events.filter((type) => tree.exists(`services/${service}/contracts/${type}.json`)).map((type) => [service, type]));

const addCodeOwner = (tree, { projectRoot, githubTeam }) => {
  const pattern = `/${projectRoot}/`;
  const lines = (tree.read(CODEOWNERS_FILE, 'utf-8') ?? '').replace(/\n+$/, '').split('\n');
  const rules = lines.filter((line) => line.trim() && !line.trim().startsWith('#'));
  // Owners in the column the other rules use (at least one space after the pattern).
  const column = Math.max(pattern.length + 1, ...rules.map((line) => line.search(/\s@/) + 1));
  const rule = `${pattern.padEnd(column)}${githubTeam}`;
  const existing = lines.findIndex((line) => line.split(/\s+/)[0] === pattern);
  if (existing >= 0) {
    lines[existing] = rule;
  } else {
    // Beside the other services' rules; the last matching rule wins and no later rule matches this path.
    const lastService = lines.map((line) => line.startsWith('/services/')).lastIndexOf(true);
    lines.splice(lastService >= 0 ? lastService + 1 : lines.length, 0, rule);
  }
  tree.write(CODEOWNERS_FILE, `${lines.join('\n')}\n`);
};

module.exports = async function consumerServiceGenerator(tree, rawOptions) {
  const options = normalizeOptions(tree, rawOptions);
  const { name, projectRoot, team, githubTeam, events } = options;
  const { className } = names(name);
  const samples = producerSamples(tree, events, name);
  const substitutions = {
    tmpl: '',
    name,
    className,
    events,
    eventUnion: events.map((type) => `'${type}'`).join(' | '),
    subjectExpression: subjectExpression(events),
    sampleData: SAMPLE_DATA,
    samples,
    ...nextOfflinePorts(tree),
  };

  generateFiles(tree, path.join(__dirname, 'files'), projectRoot, substitutions);
  if (samples.length > 0) generateFiles(tree, path.join(__dirname, 'contract-files'), projectRoot, substitutions);

  writeJson(tree, joinPathFragments(projectRoot, 'package.json'), { name: `@platform/${name}`, version: '0.0.0', private: true });
  const cwd = { cwd: projectRoot };
  writeJson(tree, joinPathFragments(projectRoot, 'project.json'), {
    $schema: '../../node_modules/nx/schemas/project-schema.json',
    name,
    sourceRoot: `${projectRoot}/src`,
    projectType: 'application',
    tags: ['type:service', `scope:${team}`],
    targets: {
      lint: { command: `eslint ${projectRoot}` },
      typecheck: { command: `tsc -p ${projectRoot}/tsconfig.json --noEmit` },
      test: { command: `jest -c ${projectRoot}/jest.config.js` },
      package: { command: 'serverless package --stage ${STAGE:-dev}', options: cwd },
      deploy: { command: 'serverless deploy --stage ${STAGE:?set STAGE to the stage to deploy} --verbose', options: cwd },
      offline: { command: 'serverless offline start --stage local', options: cwd, continuous: true },
    },
    // Subscribes to items-api's topic, imported from its stack: items-api deploys first.
    implicitDependencies: ['items-api'],
  });

  if (options.teamIsNew) {
    updateJson(tree, TEAMS_FILE, (teams) => ({ ...teams, scopes: { ...teams.scopes, [team]: githubTeam } }));
  }
  addCodeOwner(tree, options);

  return () => {
    logger.info(
      [
        '',
        `${projectRoot} consumes ${events.join(', ')} from items-api's topic (queue ${name}-<stage>-events, DLQ ${name}-<stage>-events-dlq).`,
        `Owner: scope:${team} → ${githubTeam}${options.teamIsNew ? ` (new in ${TEAMS_FILE})` : ''}, in ${CODEOWNERS_FILE} too.`,
        '',
        'Next:',
        `  1. npm install --no-audit --no-fund        # links @platform/${name}; commit the updated package-lock.json (npm ci needs it)`,
        `  2. put the service's work in ${projectRoot}/src/domain/process-event.ts (idempotent on event.id: SQS delivers at least once);`,
        `     give handleEvents in ${projectRoot}/serverless.yml an iamRoleStatements entry for each resource it comes to use`,
        `  3. npx nx run-many -t lint typecheck test package -p ${name}`,
        `  4. list ${name} in tools/ci/test/affected.test.mjs (SERVICES) and tools/ci/project.json (implicitDependencies), and in README.md's service and ownership tables`,
        `  5. deploy after items-api exists in the stage: STAGE=dev npx nx run ${name}:deploy`,
        '',
      ].join('\n'),
    );
  };
};
