// What CI deploys for a change, in a throw-away copy of the workspace: each
// case commits its change on a branch and runs
// `nx affected -t deploy --exclude-task-dependencies`: the projects CI deploys
// (tools/ci/deploy-plan.mjs takes the same selection, `nx show projects
// --affected --withTarget deploy`, and deploys each with its team's role,
// the bus first: .github/workflows/deploy-stage.yml),
// against a `serverless` that records which services it would deploy, in what
// order. The table "What deploys when" in docs/deploying.md lists the same
// cases, in the same order: it is the expectation, checked row by row.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, createWorkspaceCopy } from './workspace-copy.mjs';

/** @import { WorkspaceCopy } from './workspace-copy.mjs' */

const EVENT_BUS = 'event-bus';
const DOC = 'docs/deploying.md';
const TABLE_HEADER = '| change (committed on a branch) | deploys, in order |';
/** @type {WorkspaceCopy} set by before() */
let workspace;
// The stage CI deploys to comes from the environment (a GitHub environment's variable).
process.env.STAGE = 'ci-test';

before(() => {
  workspace = createWorkspaceCopy();
});
after(() => workspace?.remove());

/** @param {string} file relative to the copy @param {string} line */
const append = (file, line) => writeFileSync(path.join(workspace.dir, file), `${line}\n`, { flag: 'a' });
/** @param {string} file relative to the copy @param {(json: any) => void} edit */
const editJson = (file, edit) => {
  const json = JSON.parse(readFileSync(path.join(workspace.dir, file), 'utf8'));
  edit(json);
  writeFileSync(path.join(workspace.dir, file), `${JSON.stringify(json, null, 2)}\n`);
};
/** What a developer runs after editing a package.json: the lockfile only, from npm's cache (node_modules in the copy are links). */
const npmInstall = () => workspace.run('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund']);

/**
 * Each case: the row's first cell in docs/deploying.md, and the commit that
 * makes the change (on a branch off `from`, main unless said).
 * @type {Array<{ change: string, edit: () => void, from?: string, setup?: () => void }>}
 */
const CASES = [
  {
    change: "a service's code: `services/notifier/src/`",
    edit: () => append('services/notifier/src/domain/message.ts', '// a notifier-only change'),
  },
  {
    change: "a service's `serverless.yml`: `services/notifier/serverless.yml`",
    edit: () => append('services/notifier/serverless.yml', '# a timeout, a grant, a queue setting'),
  },
  {
    change: "a service's tests: `services/order-processor/test/`",
    edit: () => append('services/order-processor/test/unit/message.test.ts', '// another team’s test'),
  },
  {
    change:
      'a new service from the generator (`nx g @platform/generators:consumer-service --name=audit --events=order.confirmed --team=audit`), ' +
      'with the CODEOWNERS, `tools/ownership/teams.json`, `package-lock.json` and docs lines it writes, then `npm install`',
    edit: () => {
      workspace.nx('g', '@platform/generators:consumer-service', '--name=audit', '--events=order.confirmed', '--team=audit', '--no-interactive');
      npmInstall();
    },
  },
  {
    change: 'ownership alone: `.github/CODEOWNERS` and `tools/ownership/teams.json`',
    edit: () => {
      append('.github/CODEOWNERS', '/services/notifier/README.md @acme/notifications');
      editJson('tools/ownership/teams.json', (teams) => (teams.scopes.compliance = '@acme/compliance'));
    },
  },
  {
    // Any installed package that no other project reaches will do: notifier
    // starts to use it (a commit on main), then the lockfile alone moves it.
    change: 'a lockfile bump of a dependency only notifier uses (`package-lock.json` alone)',
    setup: () =>
      workspace.commit({
        message: 'notifier uses @hapi/bourne',
        branch: 'notifier-dependency',
        edit: () => {
          editJson('services/notifier/package.json', (notifier) => (notifier.dependencies = { '@hapi/bourne': '3.0.0' }));
          npmInstall();
        },
      }),
    from: 'notifier-dependency',
    edit: () => editJson('package-lock.json', (lock) => (lock.packages['node_modules/@hapi/bourne'].version = '3.0.1')),
  },
  {
    // The deploy toolchain is the shared Serverless base's (its devDependencies): a bump of it repackages every stack.
    change: 'a lockfile bump of the deploy toolchain: `serverless-esbuild` in `package-lock.json`',
    edit: () => editJson('package-lock.json', (lock) => (lock.packages['node_modules/serverless-esbuild'].version = '1.57.3')),
  },
  {
    change: 'a shared lib: `libs/events/`',
    edit: () => append('libs/events/src/contracts.ts', '// a change to the shared contracts'),
  },
  {
    change: 'the shared Serverless base: `infra/serverless/`',
    edit: () => append('infra/serverless/base.cjs', '// a change to every stack'),
  },
  {
    change: 'the bus: `services/event-bus/serverless.yml`',
    edit: () => append('services/event-bus/serverless.yml', '# a change to the bus'),
  },
  {
    // Everything runs, bundles and deploys on it (docs/decisions/0009-pinned-node.md).
    change: 'the pinned Node: `.nvmrc`',
    edit: () => writeFileSync(path.join(workspace.dir, '.nvmrc'), '22.99.0\n'),
  },
  {
    change: 'docs: `README.md`',
    edit: () => append('README.md', 'A documentation change.'),
  },
];

/**
 * Runs CI's deploy command for `from`..HEAD against the recording `serverless`.
 * @param {string} from
 * @returns {string[]} the services in the order they were deployed
 */
const deployedInOrder = (from) => {
  workspace.nx('affected', '-t', 'deploy', '--exclude-task-dependencies', '--parallel=3', `--base=${from}`, '--head=HEAD', '--outputStyle=static');
  let calls = '';
  try {
    calls = readFileSync(path.join(workspace.dir, 'serverless-calls.log'), 'utf8');
  } catch {
    return [];
  }
  return calls
    .trim()
    .split('\n')
    .map((line) => {
      const [service = '', ...args] = line.split(' ');
      assert.deepEqual(args, ['deploy', '--stage', 'ci-test', '--verbose'], `${service} was deployed with ${args.join(' ')}`);
      return service;
    });
};

/**
 * A deploy order as the table writes it: the bus first when it deploys (the
 * order that matters), the rest as a set, since Nx runs them in parallel.
 * @param {string[]} order
 */
const asCell = (order) => {
  if (order.length === 0) return 'nothing';
  const quoted = (/** @type {string[]} */ names) => [...names].sort().map((name) => `\`${name}\``).join(', ');
  const rest = order.filter((service) => service !== EVENT_BUS);
  if (rest.length === order.length) return quoted(order);
  return rest.length === 0 ? `\`${EVENT_BUS}\`` : `\`${EVENT_BUS}\`, then ${quoted(rest)}`;
};

/** The rows of the table under TABLE_HEADER in docs/deploying.md, as [change, deploys]. */
const documentedRows = () => {
  const lines = readFileSync(path.join(ROOT, DOC), 'utf8').split('\n');
  const start = lines.indexOf(TABLE_HEADER);
  assert.ok(start >= 0, `${DOC}: no table with the header ${TABLE_HEADER}`);
  const rows = [];
  for (let i = start + 2; lines[i]?.startsWith('|'); i += 1) {
    const cells = /** @type {string} */ (lines[i]).replace(/^\|\s*|\s*\|$/g, '').split(/\s+\|\s+/);
    rows.push(/** @type {[string, string]} */ ([cells[0] ?? '', cells[1] ?? '']));
  }
  return rows;
};

describe('nx affected: what CI deploys for each change (docs/deploying.md, "What deploys when")', () => {
  const rows = documentedRows();

  it('the table lists exactly these cases, in this order', () => {
    assert.deepEqual(
      rows.map(([change]) => change),
      CASES.map(({ change }) => change),
    );
  });

  for (const { change, edit, setup, from = 'main' } of CASES) {
    const documented = rows.find(([row]) => row === change)?.[1];
    it(`${change}: deploys ${documented ?? '(not in the table)'}`, () => {
      setup?.();
      workspace.commit({ message: change, edit, from });
      const order = deployedInOrder(from);
      assert.equal(new Set(order).size, order.length, `a service was deployed twice: ${order.join(', ')}`);
      if (order.includes(EVENT_BUS)) assert.equal(order[0], EVENT_BUS, `the bus must deploy before the services, got ${order.join(', ')}`);
      assert.equal(asCell(order), documented, `deployed ${order.join(', ') || 'nothing'}; ${DOC} says ${documented}`);
    });
  }
});
