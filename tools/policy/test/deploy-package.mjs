// What a deploy stage packages holds nothing local. Registered inside
// template-policy.test.mjs's "packaged services" suite, which packages every
// service once for stage `dev` (`nx run-many -t package`, as CI does): every
// file of every function zip is read and searched for the local stack's
// settings (LOCAL_*) and the local runtime's names, and every compiled
// template is checked for what the local-only plugins would have done to it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readZip } from './zip.mjs';

/** What no packaged file may contain: the local stack's settings and the local runtime's names. */
const FORBIDDEN = ['LOCAL_', 'local-runtime', 'serverless-offline'];
/** Plugins that only the local stage may load (infra/serverless/base.cjs). */
const LOCAL_ONLY_PLUGIN = /^(serverless-offline$|@platform\/local-runtime\/)/;
/** The local stack's account id (infra/serverless/local-stage.cjs): the local stage spells ARNs out with it. */
const LOCAL_ACCOUNT_ARN = /arn:aws:[a-z0-9-]+:[a-z0-9-]*:000000000000:/;

/**
 * @typedef {{ Type: string, Condition?: string, Properties?: Record<string, any> }} Resource
 * @typedef {{ Resources: Record<string, Resource>, Conditions?: Record<string, unknown>, Outputs?: Record<string, unknown> }} Template
 * @typedef {{ name: string, dir: string, template: Template, state: { service: { plugins?: string[] } }, zips: string[] }} Packaged
 */

/** @param {Template} template @returns {Array<[string, Resource]>} */
const functionsOf = (template) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');

/**
 * @param {string} stage
 * @param {string[]} services  the services there are
 * @param {() => Packaged[]} packagedOf  what the suite's before() packaged
 */
export const describeDeployPackages = (stage, services, packagedOf) =>
  describe(`the packages of a deploy stage (serverless package --stage ${stage})`, () => {
    it('package every service, and one zip per function of each service with functions', () => {
      const packaged = packagedOf();
      assert.deepEqual(packaged.map((service) => service.name), services);
      const withFunctions = packaged.filter((service) => functionsOf(service.template).length > 0);
      assert.ok(withFunctions.length >= 3, `services with functions: ${withFunctions.map((service) => service.name).join(', ')}`);
      for (const service of withFunctions) {
        assert.equal(service.zips.length, functionsOf(service.template).length, `${service.name}: ${service.zips.join(', ')}`);
      }
    });

    it(`hold no ${FORBIDDEN.join(', ')} string in any file of any zip`, () => {
      const packaged = packagedOf();
      const found = [];
      let files = 0;
      for (const service of packaged) {
        for (const zip of service.zips) {
          for (const [name, content] of readZip(path.join(service.dir, zip))) {
            files += 1;
            const text = content.toString('latin1');
            for (const needle of FORBIDDEN) {
              const at = text.indexOf(needle);
              if (at >= 0 || name.includes(needle)) found.push(`${service.name}/${zip}: ${name}: "${needle}" in …${text.slice(Math.max(0, at - 60), at + 60)}…`);
            }
          }
        }
      }
      assert.ok(files > 0, 'no file in any zip: nothing was checked');
      assert.deepEqual(found, []);
    });

    it('load no local-only plugin', () => {
      const packaged = packagedOf();
      for (const service of packaged) {
        const plugins = service.state.service.plugins ?? [];
        assert.ok(plugins.includes('@platform/serverless-base/plugins/observability'), `${service.name}: the shared plugins were not read: ${plugins.join(', ')}`);
        assert.deepEqual(plugins.filter((plugin) => LOCAL_ONLY_PLUGIN.test(plugin)), [], service.name);
      }
    });

    it("compile templates that show none of the local-only plugins' effects", () => {
      const packaged = packagedOf();
      for (const { name, template } of packaged) {
        const text = JSON.stringify(template);
        for (const needle of FORBIDDEN) assert.ok(!text.includes(needle), `${name}: its template mentions ${needle}`);
        // The local stage spells ARNs out in the emulators' account; a deploy stage never does.
        assert.doesNotMatch(text, LOCAL_ACCOUNT_ARN, name);
        // local-function-credentials gives each function a key of its own under `serverless offline`.
        for (const [id, fn] of functionsOf(template)) {
          const variables = Object.keys(fn.Properties?.Environment?.Variables ?? {});
          assert.deepEqual(variables.filter((variable) => variable.startsWith('AWS_') || variable.startsWith('LOCAL_')), [], `${name}: ${id}`);
        }
      }
      // local-conditions evaluates a template's Conditions on the local stage and drops what they
      // leave out: the platform stack's alarm email subscription (no ALARM_EMAIL) would be gone.
      const platform = packaged.find((service) => service.name === 'event-bus');
      assert.ok(platform, 'the platform stack (services/event-bus) was not packaged');
      const conditions = Object.keys(platform.template.Conditions ?? {});
      assert.ok(conditions.length > 0, 'event-bus: its Conditions were evaluated away');
      const conditional = Object.values(platform.template.Resources).filter((resource) => resource.Condition && conditions.includes(resource.Condition));
      assert.ok(conditional.length > 0, 'event-bus: no resource kept its Condition');
    });
  });
