// The local stack creates resources from the compiled template
// (tools/local-runtime/cloudformation/provision.mjs) without evaluating CloudFormation
// Conditions, Fn::If or AWS::NoValue. On the local stage, this plugin does it
// at package time wherever the answer is already known, so the local
// template holds exactly what CloudFormation would create: resources and
// outputs whose Condition is false are dropped (e.g. the alarm topic's email
// subscription without an address), Fn::If takes its branch, and a property
// set to AWS::NoValue disappears. Conditions that depend on something only
// known at deploy time are left as they are. A Ref to one of the template's
// Parameters takes its Default, as CloudFormation does when a deploy passes no
// value (osls passes none). Other stages are untouched.
// It also refuses to deploy the local stage.
'use strict';

const { LOCAL_STAGE } = require('@platform/serverless-base/lib/names');

/**
 * @typedef {import('@platform/serverless-base/types').Json} Json
 * @typedef {Record<string, Json>} Conditions
 */

/** @param {unknown} value @returns {value is Record<string, Json>} */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
/** @param {unknown} value @returns {[string, any] | []} */
const single = (value) => (isObject(value) && Object.keys(value).length === 1 ? /** @type {[string, any]} */ (Object.entries(value)[0]) : []);
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The literal result of a condition, or undefined when it depends on something else.
 * @param {Json} expression @param {Conditions} conditions @param {Map<string, Json>} defaults the Parameters' defaults @param {Set<string>} [seen]
 * @returns {boolean | undefined}
 */
const evaluate = (expression, conditions, defaults, seen = new Set()) => {
  if (typeof expression === 'boolean') return expression;
  const [fn, args] = single(expression);
  if (fn === 'Condition') {
    if (seen.has(args) || !(args in conditions)) return undefined;
    return evaluate(conditions[args], conditions, defaults, new Set([...seen, args]));
  }
  if (!Array.isArray(args)) return undefined;
  /** @type {unknown[]} */
  const values = fn === 'Fn::Equals' ? args.map((arg) => (isObject(arg) && defaults.has(arg.Ref) ? defaults.get(arg.Ref) : arg)) : args.map((arg) => evaluate(arg, conditions, defaults, seen));
  if (values.some((value) => value === undefined || isObject(value) || Array.isArray(value))) return undefined;
  switch (fn) {
    case 'Fn::Equals':
      return String(values[0]) === String(values[1]);
    case 'Fn::Not':
      return !values[0];
    case 'Fn::And':
      return values.every(Boolean);
    case 'Fn::Or':
      return values.some(Boolean);
    default:
      return undefined;
  }
};

/**
 * `value` with known Fn::If branches taken, AWS::NoValue properties removed and Parameters' defaults in.
 * @param {Json} value @param {Map<string, boolean>} known @param {Map<string, Json>} defaults
 * @returns {Json}
 */
const simplify = (value, known, defaults) => {
  if (Array.isArray(value)) return value.map((element) => simplify(element, known, defaults)).filter((element) => element !== NO_VALUE);
  if (!isObject(value)) return value;
  const [fn, args] = single(value);
  if (fn === 'Ref' && args === 'AWS::NoValue') return NO_VALUE;
  if (fn === 'Ref' && defaults.has(args)) return defaults.get(args);
  if (fn === 'Fn::If' && Array.isArray(args) && known.has(args[0])) return simplify(known.get(args[0]) ? args[1] : args[2], known, defaults);
  /** @type {Array<[string, Json]>} */
  const entries = Object.entries(value).map(([key, inner]) => [key, simplify(inner, known, defaults)]);
  return Object.fromEntries(entries.filter(([, inner]) => inner !== NO_VALUE));
};

/**
 * Prunes `template` in place as CloudFormation would; returns the logical IDs and outputs it dropped.
 * @param {import('@platform/serverless-base/types').CfnTemplate} template
 * @returns {string[]}
 */
function resolveKnownConditions(template) {
  const conditions = template.Conditions ?? {};
  /** @type {Map<string, Json>} */
  const defaults = new Map(Object.entries(template.Parameters ?? {}).filter(([, parameter]) => isObject(parameter) && 'Default' in parameter).map(([name, parameter]) => [name, parameter.Default]));
  const known = new Map();
  for (const name of Object.keys(conditions)) {
    const value = evaluate({ Condition: name }, conditions, defaults);
    if (value !== undefined) known.set(name, value);
  }
  const dropped = [];
  for (const section of ['Resources', 'Outputs']) {
    for (const [id, entry] of Object.entries(template[section] ?? {})) {
      if (known.get(entry.Condition) === false) {
        delete template[section][id];
        dropped.push(`${section}/${id}`);
      } else {
        if (known.has(entry.Condition)) delete entry.Condition;
        template[section][id] = simplify(entry, known, defaults);
      }
    }
  }
  return dropped;
}

/**
 * Deploying the local stage would put a stack with emulator-only settings (no encryption, local ARNs) into an AWS account.
 * @param {import('@platform/serverless-base/types').Serverless} serverless @param {string} command
 */
const refuseLocalStage = (serverless, command) => {
  if (serverless.service.provider.stage !== LOCAL_STAGE) return;
  throw new serverless.classes.Error(
    `The "${LOCAL_STAGE}" stage is for the emulators only (npm start) and is never deployed: \`serverless ${command} --stage ${LOCAL_STAGE}\` refused. Deploy a stage of your own, e.g. --stage dev (docs/deploying.md).`,
  );
};

class LocalConditions {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // As early as the framework lets a plugin act, before it looks for credentials;
      // `deploy` and `deploy function` alike.
      initialize: () => {
        const commands = serverless.processedInput?.commands ?? [];
        if (commands[0] === 'deploy') refuseLocalStage(serverless, commands.join(' '));
      },
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        const { provider } = this.serverless.service;
        if (provider.stage === LOCAL_STAGE) resolveKnownConditions(provider.compiledCloudFormationTemplate);
      },
    };
  }
}

module.exports = LocalConditions;
module.exports.resolveKnownConditions = resolveKnownConditions;
