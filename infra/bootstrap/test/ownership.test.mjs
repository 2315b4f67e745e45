// Who may deploy a service is said in four places, and they must agree: the
// service's scope:* tag (services/<service>/project.json), the scope's GitHub
// team (tools/ownership/teams.json), the service's line in .github/CODEOWNERS,
// and the bootstrap's roles (infra/bootstrap/template.json). Each service's
// stacks are deployable by its owning team's roles and by no other's; the
// platform's roles alone deploy the event bus. Read here from the files
// themselves, not through template.mjs's reading of them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { EVENT_BUS_SERVICE, ROOT, TEMPLATE_FILE, environmentName, roleNames } from '../template.mjs';
import { namesOneOf, principalsOf, text } from './checks.mjs';

/** @type {{ scopes: Record<string, string> }} */
const { scopes } = JSON.parse(readFileSync(path.join(ROOT, 'tools/ownership/teams.json'), 'utf8'));
const codeowners = readFileSync(path.join(ROOT, '.github/CODEOWNERS'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => line.split(/\s+/));
/** The owners GitHub gives a folder: the last matching rule wins. @param {string} dir */
const ownersOf = (dir) => codeowners.filter(([pattern]) => pattern === '*' || `/${dir}/`.startsWith(/** @type {string} */ (pattern))).pop()?.slice(1) ?? [];

const services = readdirSync(path.join(ROOT, 'services'))
  .filter((name) => existsSync(path.join(ROOT, 'services', name, 'project.json')))
  .sort()
  .map((service) => {
    /** @type {{ tags: string[] }} */
    const { tags } = JSON.parse(readFileSync(path.join(ROOT, 'services', service, 'project.json'), 'utf8'));
    const scope = tags.find((tag) => tag.startsWith('scope:'))?.slice('scope:'.length) ?? '(none)';
    return { service, scope };
  });

/** @type {import('./checks.mjs').Template} */
const template = JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8'));
const everyPrincipal = principalsOf(template);
/** The teams' roles and boundaries (the smoke roles belong to no team and only read: policy.test.mjs). */
const principals = everyPrincipal.filter(({ role }) => role !== 'smoke');

/**
 * The roles and boundaries that grant anything on `service`'s names (its
 * stacks, tables, functions, …) beyond subscribing to or publishing on the
 * bus, which every consumer does.
 * @param {string} service
 */
const grantingOn = (service) =>
  principals
    .filter((principal) =>
      principal.statements.some((statement) => {
        if (statement.Effect !== 'Allow') return false;
        const actions = [statement.Action ?? []].flat();
        const onlyBusUse = actions.every((action) => /^sns:(Publish|Subscribe|Unsubscribe|GetSubscriptionAttributes|SetSubscriptionAttributes)$/.test(action));
        if (service === EVENT_BUS_SERVICE && onlyBusUse) return false;
        return [statement.Resource ?? []].flat().map(text).some((arn) => namesOneOf(arn, [`${service}-`, `${service}/`]));
      }),
    )
    .map((principal) => principal.name)
    .sort();

describe('ownership: tags, teams.json, CODEOWNERS and the bootstrap roles agree', () => {
  it('finds the services and the bus', () => {
    assert.ok(services.length >= 4, services.map(({ service }) => service).join(', '));
    assert.ok(services.some(({ service }) => service === EVENT_BUS_SERVICE));
  });

  it('no service\'s name prefix takes in another\'s (a role for `<a>-*` would reach `<a>-<b>-*`)', () => {
    for (const { service: a } of services) {
      for (const { service: b } of services) {
        if (a !== b) assert.ok(!`${b}-`.startsWith(`${a}-`), `${a}-* also matches ${b}'s names: rename one`);
      }
    }
  });

  it('the template\'s teams are the scopes that own services, with exactly their services', () => {
    /** @type {Record<string, string[]>} */
    const expected = {};
    for (const { service, scope } of services) (expected[scope] ??= []).push(service);
    assert.deepEqual(template.Metadata.Teams, Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b))));
  });

  for (const { service, scope } of services) {
    it(`${service}: scope:${scope}, its team in teams.json and CODEOWNERS, and only ${scope}'s roles deploy it`, () => {
      const team = scopes[scope];
      assert.ok(team, `scope:${scope} of services/${service} is not in tools/ownership/teams.json`);
      assert.deepEqual(ownersOf(`services/${service}`), [team], `CODEOWNERS gives services/${service} to ${ownersOf(`services/${service}`).join(' ')}, teams.json says ${team}`);
      const deploy = roleNames(scope, 'deploy');
      const preview = roleNames(scope, 'preview');
      assert.deepEqual(grantingOn(service), [deploy.boundary, deploy.execution, deploy.deploy, preview.boundary, preview.execution, preview.deploy].sort());
      // The stacks themselves: CloudFormation on `<service>-*` only from the team's two GitHub roles.
      const stackArn = `arn:aws:cloudformation:*:*:stack/${service}-`;
      const stackRoles = principals.filter((principal) => principal.statements.some((statement) => [statement.Resource ?? []].flat().map(text).some((arn) => arn.startsWith(stackArn))));
      assert.deepEqual(stackRoles.map((principal) => principal.name).sort(), [deploy.deploy, preview.deploy].sort());
    });
  }

  it('the platform team alone deploys the bus', () => {
    const bus = services.find(({ service }) => service === EVENT_BUS_SERVICE);
    assert.equal(bus?.scope, 'platform', `${EVENT_BUS_SERVICE} is tagged scope:${bus?.scope}`);
    assert.equal(scopes.platform, ownersOf(`services/${EVENT_BUS_SERVICE}`)[0]);
    assert.deepEqual(
      grantingOn(EVENT_BUS_SERVICE).filter((name) => !name.endsWith('-platform')),
      [],
      'only the platform team\'s roles may change the bus; others only subscribe to it and publish on it',
    );
  });

  it('each team\'s GitHub roles trust only that team\'s environments', () => {
    for (const principal of principals.filter(({ role }) => role === 'deploy')) {
      const subjects = [principal.trust?.Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'] ?? []].flat().map(text);
      const expected =
        principal.kind === 'deploy' ? [environmentName('staging', principal.team), environmentName('production', principal.team)] : [environmentName('preview', principal.team)];
      assert.deepEqual(subjects, expected.map((environment) => `repo:\${GitHubRepository}:environment:${environment}`), principal.name);
    }
  });
});
