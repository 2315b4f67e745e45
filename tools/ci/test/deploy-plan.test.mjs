// tools/ci/deploy-plan.mjs: what the deploy workflows deploy and in whose
// environment: the event bus apart (it deploys first), every other affected
// service with its team (its scope:* tag, the `<kind>-<team>` GitHub
// environment whose role may change only that team's stacks). The tags are
// the services' own project.json files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deployPlan } from '../deploy-plan.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Every service with a deploy target, with its tags, as its project.json says. */
const deployable = Object.fromEntries(
  readdirSync(path.join(ROOT, 'services'))
    .filter((name) => existsSync(path.join(ROOT, 'services', name, 'project.json')))
    .map((name) => JSON.parse(readFileSync(path.join(ROOT, 'services', name, 'project.json'), 'utf8')))
    .filter((project) => project.targets?.deploy)
    .map((project) => [project.name, project.tags ?? []]),
);

describe('deploy plan', () => {
  it('deploys the bus apart, first, and each service with its team', () => {
    assert.deepEqual(deployPlan({ affected: ['notifier', 'event-bus', 'items-api'], deployable }), {
      bus: [{ service: 'event-bus', team: 'platform' }],
      services: [
        { service: 'items-api', team: 'catalog' },
        { service: 'notifier', team: 'notifications' },
      ],
      only: ['event-bus', 'items-api', 'notifier'],
    });
  });

  it('deploys nothing when nothing deployable is affected', () => {
    assert.deepEqual(deployPlan({ affected: [], deployable }), { bus: [], services: [], only: [] });
    assert.deepEqual(deployPlan({ affected: [], deployable, preview: true }), { bus: [], services: [], only: [] });
  });

  it('gives a preview stage the whole system when anything is affected, and rehearses only what is', () => {
    const plan = deployPlan({ affected: ['notifier'], deployable, preview: true });
    assert.deepEqual(plan.bus, [{ service: 'event-bus', team: 'platform' }]);
    assert.deepEqual(
      plan.services.map(({ service }) => service),
      Object.keys(deployable)
        .filter((name) => name !== 'event-bus')
        .sort(),
    );
    assert.deepEqual(plan.only, ['notifier']);
  });

  it('refuses a service whose team it cannot tell, or a project it cannot deploy', () => {
    assert.throws(() => deployPlan({ affected: ['audit'], deployable: { audit: ['type:service'] } }), /audit must have exactly one scope:\* tag \(its team\), has none/);
    assert.throws(() => deployPlan({ affected: ['docs'], deployable }), /affected projects without a deploy target: docs/);
  });
});
