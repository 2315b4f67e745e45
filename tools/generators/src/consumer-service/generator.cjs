// `nx g @platform/generators:consumer-service`: a new service that consumes
// domain events from the event bus (services/event-bus), shaped like
// services/notifier: its shared sections from infra/serverless/base.cjs, an
// SNS subscription to the bus filtered on the event types, its own queue and
// DLQ, one function that parses each record with sqsEventHandler and hands it
// to a small domain module, a unit test, a contract test against the
// producers' published samples, and its ownership (project tags,
// tools/ownership/teams.json, .github/CODEOWNERS).
//
// It finishes its own wiring, so that its closing "Next" lists only what a
// person decides (the domain logic, the grants, the deploy):
// - the projects that work on every service (local stack, system tests,
//   template policy, CI checks, OpenAPI) depend on `tag:type:service`, and
//   `npm start` and the policy and CI tests find services/* themselves;
// - package-lock.json gets the new workspace, as `npm install` would write it
//   (`npm ci` refuses a lockfile that misses a workspace);
// - the README's service table and docs/architecture.md's event table get
//   their row and consumer.
const path = require('node:path');
const { generateFiles, getProjects, joinPathFragments, logger, names, updateJson, writeJson } = require('@nx/devkit');
const ts = require('typescript');

const CONTRACTS_FILE = 'libs/events/src/contracts.ts';
const TEAMS_FILE = 'tools/ownership/teams.json';
const CODEOWNERS_FILE = '.github/CODEOWNERS';
const LOCKFILE = 'package-lock.json';
const README_FILE = 'README.md';
const ARCHITECTURE_FILE = 'docs/architecture.md';
// Every service's Serverless configuration reads infra/serverless (`${file(...)}`);
// this devDependency is what tells Nx, so a change to the base deploys the service too.
const SERVERLESS_BASE_PACKAGE = '@platform/serverless-base';
// The stack that owns the bus: every consumer imports its topic ARN, so it deploys first.
const EVENT_BUS_PROJECT = 'event-bus';

// AWS builds names from the service name: the function's IAM role
// `<name>-<stage>-handleEvents-<region>` may have 64 characters at most, so
// the name leaves room for the stage and the region.
const MAX_NAME_LENGTH = 24;
const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const GITHUB_TEAM = /^@[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** @typedef {import('@nx/devkit').Tree} Tree */
/** @typedef {Record<string, unknown>} EventData an event's `data`: JSON, only looked into for its subject field and printed as TypeScript */
/** @typedef {{ service: string, data: EventData | undefined }} Producer a service publishing a sample of an event type, and the sample's data */
/**
 * The generator's options as Nx passes them (schema.json).
 * @typedef {object} RawOptions
 * @property {string} [name]
 * @property {string | string[]} [events] comma-separated, or a list
 * @property {string} [team]
 * @property {string} [githubTeam]
 */

// One valid `data` per event type, for the generated unit test. A type missing
// here uses the `data` of its producer's published sample instead.
/** @type {Record<string, EventData>} */
const SAMPLE_DATA = {
  'item.created': { id: 'item-1', name: 'Widget', priceCents: 1999, stock: 5, version: 1 },
  'item.updated': { id: 'item-1', name: 'Widget', priceCents: 2499, stock: 4, version: 2 },
  'item.deleted': { id: 'item-1' },
  'order.placed': { orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' },
  'stock.reserved': { orderId: 'order-1', itemId: 'item-1', quantity: 2 },
  'stock.rejected': { orderId: 'order-1', itemId: 'item-1', quantity: 2, reason: 'OUT_OF_STOCK' },
  'order.confirmed': { orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' },
  'order.rejected': { orderId: 'order-1', itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com', reason: 'OUT_OF_STOCK' },
};

// The fields, in order of preference, that name the entity an event is about.
const SUBJECT_FIELDS = ['orderId', 'id'];

/** A value as TypeScript source: `{ id: 'item-1', stock: 5 }`. @param {unknown} value JSON @returns {string} */
const toTypeScript = (value) => {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(toTypeScript).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : toTypeScript(key)}: ${toTypeScript(item)}`);
    return entries.length > 0 ? `{ ${entries.join(', ')} }` : '{}';
  }
  return String(value);
};

/** @param {ts.Expression} node @returns {ts.Expression} */
const withoutWrappers = (node) => {
  let inner = node;
  while (ts.isAsExpression(inner) || ts.isSatisfiesExpression(inner) || ts.isParenthesizedExpression(inner) || ts.isTypeAssertionExpression(inner)) inner = inner.expression;
  return inner;
};

/** @param {ts.Node} node @returns {string | undefined} */
const stringOf = (node) => (ts.isStringLiteralLike(node) || ts.isIdentifier(node) || ts.isNumericLiteral(node) ? node.text : undefined);

/**
 * The event types libs/events defines: its EVENT_TYPES, read from the tree's
 * contracts.ts (an array literal, or `Object.keys(EventSchemas)`: the keys of
 * that object literal). Read rather than imported, so it is the tree's own
 * version and needs no TypeScript loader.
 * @param {Tree} tree
 * @returns {string[]}
 */
const knownEventTypes = (tree) => {
  const source = tree.read(CONTRACTS_FILE, 'utf-8');
  if (!source) throw new Error(`${CONTRACTS_FILE} not found: run the generator from the workspace root.`);
  const file = ts.createSourceFile(CONTRACTS_FILE, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const constants = new Map(
    file.statements
      .filter(ts.isVariableStatement)
      .flatMap((statement) => statement.declarationList.declarations)
      .filter((declaration) => ts.isIdentifier(declaration.name) && declaration.initializer)
      // (both filtered on just above)
      .map((declaration) => [/** @type {ts.Identifier} */ (declaration.name).text, withoutWrappers(/** @type {ts.Expression} */ (declaration.initializer))]),
  );
  const unreadable = new Error(`Cannot read EVENT_TYPES in ${CONTRACTS_FILE}: the generator expects "export const EVENT_TYPES = Object.keys(EventSchemas)" over an object literal, or an array of string literals.`);
  /** @type {ts.Expression | Array<string | undefined> | undefined} the expression, then the names read from it */
  let types = constants.get('EVENT_TYPES');
  if (!types) throw unreadable;
  if (ts.isCallExpression(types) && types.expression.getText(file) === 'Object.keys' && types.arguments.length === 1 && ts.isIdentifier(/** @type {ts.Expression} length 1 */ (types.arguments[0]))) {
    const schemas = constants.get(/** @type {ts.Identifier} */ (types.arguments[0]).text);
    if (!schemas || !ts.isObjectLiteralExpression(schemas)) throw unreadable;
    types = schemas.properties.map((property) => (ts.isPropertyAssignment(property) ? stringOf(property.name) : undefined));
  } else if (ts.isArrayLiteralExpression(types)) {
    types = types.elements.map(stringOf);
  } else {
    throw unreadable;
  }
  if (types.length === 0 || types.some((type) => type === undefined)) throw unreadable;
  return /** @type {string[]} none undefined: checked just above */ (types);
};

/**
 * The producers of each type: the services (other than `name`) that publish a
 * sample of it, services/<producer>/contracts/<type>.json, as themselves
 * (`source`). Today item.* and stock.* come from items-api, order.* from
 * order-processor.
 * @param {Tree} tree
 * @param {string[]} events
 * @param {string} name
 * @returns {Map<string, Producer[]>} by event type
 */
const producersOf = (tree, events, name) => {
  const services = (tree.exists('services') ? tree.children('services') : []).filter((service) => service !== name).sort();
  return new Map(
    events.map((type) => [
      type,
      services.flatMap((service) => {
        const file = `services/${service}/contracts/${type}.json`;
        if (!tree.exists(file)) return [];
        /** @type {{ type?: string, source?: string, data?: EventData }} */
        const sample = JSON.parse(/** @type {string} it exists */ (tree.read(file, 'utf-8')));
        return sample.type === type && sample.source === service ? [{ service, data: sample.data }] : [];
      }),
    ]),
  );
};

/** @param {Tree} tree @param {RawOptions['events']} events @param {string} name */
const parseEvents = (tree, events, name) => {
  const requested = [...new Set((Array.isArray(events) ? events : String(events ?? '').split(',')).map((type) => type.trim()).filter(Boolean))];
  if (requested.length === 0) throw new Error('--events must name at least one event type, e.g. --events=order.confirmed,order.rejected');
  const known = knownEventTypes(tree);
  const unknown = requested.filter((type) => !known.includes(type));
  if (unknown.length > 0) {
    throw new Error(`Unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}. --events must be a subset of: ${known.join(', ')} (${CONTRACTS_FILE}).`);
  }
  const producers = producersOf(tree, requested, name);
  const sampleData = Object.fromEntries(requested.map((type) => [type, SAMPLE_DATA[type] ?? /** @type {Producer[]} */ (producers.get(type))[0]?.data]));
  const withoutData = requested.filter((type) => !sampleData[type]);
  if (withoutData.length > 0) {
    throw new Error(
      `No sample data for ${withoutData.join(', ')}: add it to SAMPLE_DATA in ${path.relative(process.cwd(), __filename)}, or publish the producer's sample (services/<producer>/contracts/<type>.json).`,
    );
  }
  const withoutSubject = requested.filter((type) => !SUBJECT_FIELDS.some((field) => field in /** @type {EventData} checked above */ (sampleData[type])));
  if (withoutSubject.length > 0) {
    throw new Error(`The data of ${withoutSubject.join(', ')} has none of ${SUBJECT_FIELDS.join(', ')}: add its subject field to SUBJECT_FIELDS in ${path.relative(process.cwd(), __filename)}.`);
  }
  return { events: requested, sampleData, producers };
};

/** @param {Tree} tree @param {RawOptions} options */
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
  /** @type {{ scopes?: Record<string, string> }} */
  const { scopes = {} } = JSON.parse(/** @type {string} it exists */ (tree.read(TEAMS_FILE, 'utf-8')));
  const githubTeam = String(options.githubTeam ?? scopes[team] ?? `@acme/${team}`).trim();
  if (!GITHUB_TEAM.test(githubTeam)) throw new Error(`--githubTeam must look like @org/team, got "${githubTeam}".`);
  if (scopes[team] && scopes[team] !== githubTeam) {
    throw new Error(`Scope "${team}" belongs to ${scopes[team]} in ${TEAMS_FILE}, not ${githubTeam}; omit --githubTeam or pick another --team.`);
  }

  return { name, projectRoot, team, githubTeam, ...parseEvents(tree, options.events, name), teamIsNew: !scopes[team] };
};

/**
 * The expression, in the domain module, for the entity an event is about: its order id, else its own id.
 * @param {string[]} events
 * @param {Record<string, EventData | undefined>} sampleData each event's, with a subject field (parseEvents checked)
 * @returns {string}
 */
const subjectExpression = (events, sampleData) => {
  const fields = /** @type {string[]} each event has one */ ([...new Set(events.map((type) => SUBJECT_FIELDS.find((field) => field in /** @type {EventData} */ (sampleData[type]))))]).sort(
    (a, b) => SUBJECT_FIELDS.indexOf(a) - SUBJECT_FIELDS.indexOf(b),
  );
  const last = `event.data.${fields.at(-1)}`;
  return fields
    .slice(0, -1)
    .reduceRight((otherwise, field) => `'${field}' in event.data ? event.data.${field} : ${otherwise}`, last);
};

/** @param {Tree} tree @param {{ projectRoot: string, githubTeam: string }} options */
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

/**
 * The new workspace in package-lock.json, as `npm install` writes it: the
 * folder's entry (name, version, dependencies) and the link in node_modules,
 * every key in npm's order. Without them `npm ci` refuses the lockfile. The
 * link itself (node_modules/@platform/<name>) appears at the next `npm install`
 * or `npm ci`; nothing needs it before (no one imports a service).
 * @param {Tree} tree
 * @param {string} projectRoot
 * @param {{ name: string, version: string, devDependencies: Record<string, string> }} packageJson
 */
const addToLockfile = (tree, projectRoot, { name, version, devDependencies }) => {
  if (!tree.exists(LOCKFILE)) return;
  /** @type {{ packages?: Record<string, unknown> }} */
  const lock = JSON.parse(/** @type {string} it exists */ (tree.read(LOCKFILE, 'utf-8')));
  if (!lock.packages) return;
  const entries = Object.entries(lock.packages).filter(([key]) => key !== projectRoot && key !== `node_modules/${name}`);
  entries.push([projectRoot, { name, version, devDependencies }], [`node_modules/${name}`, { resolved: projectRoot, link: true }]);
  // In npm's order: sorted, the root ('') first.
  lock.packages = Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b, 'en')));
  tree.write(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
};

/**
 * Edits the markdown table whose header row is `header` in `file`: `edit`
 * gets its rows (the header and the |---| line excluded) and returns them.
 * A file or table that is not there is left alone.
 * @param {Tree} tree
 * @param {string} file
 * @param {string} header
 * @param {(rows: string[]) => string[]} edit
 */
const editTable = (tree, file, header, edit) => {
  const lines = (tree.read(file, 'utf-8') ?? '').split('\n');
  const start = lines.findIndex((line) => line.trim() === header);
  if (start < 0 || !lines[start + 1]?.startsWith('|-')) return;
  let end = start + 2;
  while (lines[end]?.startsWith('|')) end += 1;
  lines.splice(start + 2, end - start - 2, ...edit(lines.slice(start + 2, end)));
  tree.write(file, lines.join('\n'));
};

/** The cells of a markdown table row, trimmed. @param {string} row */
const cellsOf = (row) => row.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim());

/**
 * The service's row in the README's service table, after the other services
 * (the platform's event bus stays last), and the service among the consumers of
 * each event it subscribes to in docs/architecture.md's event table.
 * @param {Tree} tree
 * @param {{ name: string, projectRoot: string, team: string, events: string[] }} options
 */
const addToDocs = (tree, { name, projectRoot, team, events }) => {
  const link = `[\`${name}\`](${projectRoot}/)`;
  editTable(tree, README_FILE, '| service | team | owns | HTTP | consumes | publishes |', (rows) => {
    const row = `| ${link} | ${team} | its events queue and DLQ | – | ${events.map((type) => `\`${type}\``).join(', ')} | – |`;
    const kept = rows.filter((line) => cellsOf(line)[0] !== link);
    const bus = kept.findIndex((line) => cellsOf(line)[0]?.startsWith(`[\`${EVENT_BUS_PROJECT}\`]`));
    kept.splice(bus >= 0 ? bus : kept.length, 0, row);
    return kept;
  });
  editTable(tree, ARCHITECTURE_FILE, '| event | producer | consumers | `data` |', (rows) =>
    rows.map((line) => {
      const cells = cellsOf(line);
      const type = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
      if (!type || !events.includes(type) || cells.length < 3) return line;
      const consumers = /** @type {string} length checked */ (cells[2]).split(',').map((consumer) => consumer.trim()).filter((consumer) => consumer && consumer !== '—' && consumer !== '–' && consumer !== '-');
      if (!consumers.includes(name)) consumers.push(name);
      cells[2] = consumers.join(', ');
      return `| ${cells.join(' | ')} |`;
    }),
  );
};

/**
 * @param {Tree} tree
 * @param {RawOptions} rawOptions
 * @returns {Promise<() => void>} prints what was made and what to do next
 */
module.exports = async function consumerServiceGenerator(tree, rawOptions) {
  const options = normalizeOptions(tree, rawOptions);
  const { name, projectRoot, team, githubTeam, events, sampleData, producers } = options;
  const { className } = names(name);
  // [producer, type] for each published sample the contract test checks.
  const samples = events.flatMap((type) => /** @type {Producer[]} */ (producers.get(type)).map(({ service }) => [service, type]));
  const unpublished = events.filter((type) => /** @type {Producer[]} */ (producers.get(type)).length === 0);
  const substitutions = {
    tmpl: '',
    name,
    className,
    events,
    eventUnion: events.map((type) => `'${type}'`).join(' | '),
    subjectExpression: subjectExpression(events, sampleData),
    sampleData: Object.fromEntries(events.map((type) => [type, toTypeScript(sampleData[type])])),
    samples,
  };

  generateFiles(tree, path.join(__dirname, 'files'), projectRoot, substitutions);
  if (samples.length > 0) generateFiles(tree, path.join(__dirname, 'contract-files'), projectRoot, substitutions);

  const packageJson = { name: `@platform/${name}`, version: '0.0.0', private: true, devDependencies: { [SERVERLESS_BASE_PACKAGE]: '*' } };
  writeJson(tree, joinPathFragments(projectRoot, 'package.json'), packageJson);
  addToLockfile(tree, projectRoot, packageJson);
  writeJson(tree, joinPathFragments(projectRoot, 'project.json'), {
    $schema: '../../node_modules/nx/schemas/project-schema.json',
    name,
    sourceRoot: `${projectRoot}/src`,
    projectType: 'application',
    tags: ['type:service', `scope:${team}`],
    // The commands, inputs and options come from targetDefaults in nx.json.
    targets: { lint: {}, typecheck: {}, test: {}, package: {}, deploy: {} },
    // Subscribes to the event bus, imported from its stack: event-bus deploys first.
    implicitDependencies: [EVENT_BUS_PROJECT],
  });

  if (options.teamIsNew) {
    updateJson(tree, TEAMS_FILE, (teams) => ({ ...teams, scopes: { ...teams.scopes, [team]: githubTeam } }));
  }
  addCodeOwner(tree, options);
  addToDocs(tree, options);
  // What it changed outside the new folder, for the closing summary.
  const wiredIn = [...new Set(tree.listChanges().map((change) => change.path).filter((file) => !file.startsWith(`${projectRoot}/`)))].sort();

  return () => {
    logger.info(
      [
        '',
        `${projectRoot} consumes ${events.join(', ')} from the event bus (queue ${name}-<stage>-events, DLQ ${name}-<stage>-events-dlq).`,
        ...(samples.length > 0 ? [`Its contract test checks ${samples.map(([service, type]) => `${service}'s ${type}`).join(', ')} sample${samples.length > 1 ? 's' : ''}.`] : []),
        ...(unpublished.length > 0
          ? [`No producer publishes a sample of ${unpublished.join(', ')} yet (services/<producer>/contracts/<type>.json), so the contract test does not cover ${unpublished.length > 1 ? 'them' : 'it'}.`]
          : []),
        `Owner: scope:${team} → ${githubTeam}${options.teamIsNew ? ` (new in ${TEAMS_FILE})` : ''}, in ${CODEOWNERS_FILE} too.`,
        `Also updated: ${wiredIn.join(', ')}.`,
        '`npm start` finds it in services/, and the system tests and the CI and policy checks through its tag type:service: nothing else to wire.',
        '',
        'Next (yours to decide):',
        `  1. Its work: ${projectRoot}/src/domain/process-event.ts, idempotent on event.id (SQS delivers at least once).`,
        `  2. Its grants: one iamRoleStatements entry under functions.handleEvents in ${projectRoot}/serverless.yml`,
        '     for each table, queue, topic or secret it comes to use (its role now has only its queue, logs and traces).',
        `  3. Its deploy: commit it and the files above on a branch; its pull request lints, typechecks, tests and packages ${name},`,
        `     and merging it to main deploys ${name} alone (${EVENT_BUS_PROJECT}, which it subscribes to, is already in the stage).`,
        `     By hand: STAGE=dev npx nx run ${name}:deploy (after STAGE=dev npx nx run ${EVENT_BUS_PROJECT}:deploy, once per stage).`,
        '',
      ].join('\n'),
    );
  };
};
