// Resolves the CloudFormation intrinsics our templates use, against the
// physical ids of resources already created in the local emulators.
import { LOCAL_ACCOUNT_ID } from '../aws.cjs';

export { LOCAL_ACCOUNT_ID };

/**
 * @typedef {import('@platform/local-runtime/types').CfnTemplate} CfnTemplate
 * @typedef {import('@platform/local-runtime/types').CfnResource} CfnResource
 */

/**
 * @param {{ region: string, stackName: string, physicalIds: import('@platform/local-runtime/types').PhysicalIds }} stack
 * @returns {import('@platform/local-runtime/types').Resolve}
 */
export const createResolver = ({ region, stackName, physicalIds }) => {
  /** @type {Record<string, string>} */
  const pseudo = {
    'AWS::Region': region,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::StackName': stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };

  /** @param {string} logicalId @param {string} [attribute] @returns {any} */
  const lookup = (logicalId, attribute) => {
    if (!attribute && logicalId in pseudo) return pseudo[logicalId];
    const resource = physicalIds.get(logicalId);
    if (!resource) throw new Error(`${stackName}: ${logicalId} is referenced before it exists locally (or is not emulated)`);
    const value = attribute ? resource.attributes[attribute] : resource.ref;
    if (value === undefined) throw new Error(`${stackName}: ${logicalId}.${attribute} is not available locally`);
    return value;
  };

  /** @param {any} value @returns {any} */
  const resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const fn = /** @type {string} */ (keys[0]);
      const argument = value[fn];
      switch (fn) {
        case 'Ref':
          return lookup(argument);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument) ? argument : argument.split('.');
          return lookup(logicalId, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument;
          return resolve(parts).join(separator);
        }
        case 'Fn::Sub': {
          const [template, variables = {}] = Array.isArray(argument) ? argument : [argument];
          const resolvedVariables = resolve(variables);
          return template.replace(/\$\{([^}]+)\}/g, (/** @type {string} */ _, /** @type {string} */ name) => {
            if (name in resolvedVariables) return resolvedVariables[name];
            const [logicalId, attribute] = name.split('.');
            return lookup(/** @type {string} */ (logicalId), attribute);
          });
        }
        case 'Fn::Select': {
          const [index, list] = argument;
          return resolve(list)[Number(index)];
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${stackName}: ${fn} is not supported by the local stack`);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };

  return resolve;
};

/**
 * The resources of `type` in a template, as [logicalId, resource] pairs.
 * @param {CfnTemplate} template @param {string} type
 * @returns {Array<[string, CfnResource]>}
 */
export const resourcesOfType = (template, type) =>
  Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
