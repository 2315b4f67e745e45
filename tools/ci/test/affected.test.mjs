// What `nx affected` selects for a change, in a throw-away copy of the
// workspace: the projects, and the deploy tasks CI runs
// (`nx affected -t deploy --exclude-task-dependencies`, see .github/workflows).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkspaceCopy } from './workspace-copy.mjs';

/** @import { WorkspaceCopy } from './workspace-copy.mjs' */

const SERVICES = ['items-api', 'notifier', 'order-processor'];
/** @type {WorkspaceCopy} set by before() */
let workspace;
// The stage CI deploys to comes from the environment (a GitHub environment's variable).
process.env.STAGE = 'ci-test';

before(() => {
  workspace = createWorkspaceCopy();
});
after(() => workspace?.remove());

const range = ['--base=main', '--head=HEAD'];

const affectedServices = () =>
  JSON.parse(workspace.nx('show', 'projects', '--affected', ...range, '--with-target=deploy', '--json')).sort();

/** Runs CI's deploy command against the recording `serverless`; returns the services in the order deployed. */
const deployedInOrder = () => {
  workspace.nx('affected', '-t', 'deploy', '--exclude-task-dependencies', '--parallel=3', ...range, '--outputStyle=static');
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
      const [service, ...args] = line.split(' ');
      assert.deepEqual(args, ['deploy', '--stage', 'ci-test', '--verbose'], `${service} was deployed with ${args.join(' ')}`);
      return service;
    });
};

describe('nx affected', () => {
  it('selects the three services, not the bus, for a change in libs/events, and deploys each once', () => {
    workspace.commitChange('libs/events/src/contracts.ts', '// a change to the shared contracts');
    assert.deepEqual(affectedServices(), SERVICES);
    assert.deepEqual(deployedInOrder().sort(), SERVICES);
  });

  it('selects and deploys only notifier for a change in services/notifier/src', () => {
    workspace.commitChange('services/notifier/src/domain/message.ts', '// a notifier-only change');
    assert.deepEqual(affectedServices(), ['notifier']);
    assert.deepEqual(deployedInOrder(), ['notifier']);
  });

  it('selects only items-api for a change in items-api: no service reads its outputs any more', () => {
    workspace.commitChange('services/items-api/src/domain/stock.ts', '// a catalogue change');
    assert.deepEqual(affectedServices(), ['items-api']);
    assert.deepEqual(deployedInOrder(), ['items-api']);
  });

  it('deploys the event bus first for a change to the bus, then what depends on it', () => {
    workspace.commitChange('services/event-bus/serverless.yml', '# a change to the bus');
    assert.deepEqual(affectedServices(), ['event-bus', ...SERVICES].sort());
    const order = deployedInOrder();
    assert.deepEqual([...order].sort(), ['event-bus', ...SERVICES].sort());
    assert.equal(order[0], 'event-bus', `the bus must deploy before the services, got ${order.join(', ')}`);
  });

  it('selects no service for a change in README.md', () => {
    workspace.commitChange('README.md', 'A documentation change.');
    assert.deepEqual(affectedServices(), []);
    assert.deepEqual(deployedInOrder(), []);
  });

  it('selects only the owner for a change in one service’s tests', () => {
    workspace.commitChange('services/order-processor/test/unit/extra.test.ts', '// another team’s test');
    assert.deepEqual(affectedServices(), ['order-processor']);
  });
});
