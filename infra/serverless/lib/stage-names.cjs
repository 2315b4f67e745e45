// What a stage name may be. Every physical name a stack sets (functions,
// roles, queues, tables, alarms, exports, the stack itself) is built from the
// service, the stage and a fixed part, and AWS limits each name's length. So
// the stage's length is limited by the tightest of them, per service: this
// module lists the limits (NAME_LIMITS, each with the AWS page that states
// it), reads the names from a compiled template or from a service's
// configuration before it is compiled, and works out the longest stage they
// all fit. plugins/name-limits.js refuses a stage that cannot fit before
// anything is compiled; tools/policy checks every compiled template's names
// against the same limits and that MAX_STAGE_LENGTH below is still what the
// services' names allow.
'use strict';

const { ROLE_HASH_LENGTH, rolePrefix, functionRoleName } = require('./names.cjs');

/**
 * The shape of a stage name. A CloudFormation stack name (`<service>-<stage>`)
 * must start with a letter and hold only letters, digits and hyphens
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html).
 * Lowercase only: IAM names are case-insensitive (roles `…-Dev-…` and `…-dev-…`
 * would collide while their stacks would not), and S3 bucket names are lowercase
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 * No `--` and no `-` at the end: every name joins the stage to its neighbours
 * with one hyphen, so `<service>-<stage>-<what>` stays readable and the
 * `<service>-<stage>-` prefixes that policies match on stay distinct.
 */
const STAGE_SHAPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const STAGE_SHAPE_TEXT = 'a lowercase letter first, then lowercase letters, digits and single hyphens, not ending in a hyphen (e.g. dev, staging, pr-1234)';

/**
 * The longest stage every service's names fit, per service: what
 * longestStage() finds in each service's compiled template
 * (tools/policy/test/template-policy.test.mjs fails when a change to a
 * service's names makes one of these wrong, and prints the new value).
 * A stage is shared by every service (each imports the bus's exports of its
 * stage), so the stage limit is the smallest.
 */
const MAX_STAGE_LENGTH_BY_SERVICE = Object.freeze({
  'event-bus': 84,
  'items-api': 23,
  notifier: 39,
  'order-processor': 29,
});
/**
 * The region MAX_STAGE_LENGTH_BY_SERVICE is worked out in. No region's code is
 * shorter than its 9 characters (us-east-1, eu-west-1, sa-east-1, ap-east-1),
 * so in any other region a name that carries the region leaves the stage as
 * much or less room, never more.
 */
const REFERENCE_REGION = 'us-east-1';
/**
 * The names that carry the region and so limit the stage more in a region with
 * a longer code, per service: the name's limit, and its length apart from the
 * stage and the region (each holds the stage and the region once). items-api's
 * images bucket, `<service>-<stage>-images-<12-digit account>-<region>`, is at
 * most 63 characters: 63 - 31 - 9 = 23 in us-east-1, 18 in ap-southeast-2.
 * (A function's role carries the region too, but shortens itself to fit.)
 * tools/policy/test checks these against every service's compiled template, in
 * regions of every length.
 * @type {Readonly<Record<string, readonly { what: string, limit: number, fixed: number }[]>>}
 */
const REGIONAL_NAMES_BY_SERVICE = Object.freeze({
  'items-api': [{ what: 'S3 bucket name ImagesBucket', limit: 63, fixed: 'items-api--images-123456789012-'.length }],
});
/**
 * The longest stage per service in `region` (the stack's: what the deploy packages for).
 * @param {string} region
 * @returns {Record<string, number>}
 */
const maxStageLengthsIn = (region) =>
  Object.fromEntries(
    Object.entries(MAX_STAGE_LENGTH_BY_SERVICE).map(([service, length]) => [
      service,
      Math.min(length, ...(REGIONAL_NAMES_BY_SERVICE[service] ?? []).map(({ limit, fixed }) => limit - fixed - region.length)),
    ]),
  );
/** The longest stage every service's names fit in us-east-1 (maxStageLengthsIn gives it for another region). */
const MAX_STAGE_LENGTH = Math.min(...Object.values(MAX_STAGE_LENGTH_BY_SERVICE));

/**
 * AWS's limits on the names our templates set, by resource type and property.
 * (Event source mappings and Lambda permissions have no name: they name their
 * function by Fn::GetAtt, so only the function's own name is limited.)
 * `pattern`, where AWS also limits the characters a name may hold.
 * @typedef {{ type: string, property: string, limit: number, what: string, doc: string, pattern?: RegExp, patternText?: string }} NameLimit
 * @type {readonly NameLimit[]}
 */
const NAME_LIMITS = Object.freeze([
  { type: 'AWS::IAM::Role', property: 'RoleName', limit: 64, what: 'IAM role name', doc: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html' },
  { type: 'AWS::IAM::Role', property: 'Policies/*/PolicyName', limit: 128, what: 'IAM inline policy name', doc: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html' },
  // 64 for a plain name; the 140 of the API page is for a full ARN.
  { type: 'AWS::Lambda::Function', property: 'FunctionName', limit: 64, what: 'Lambda function name', doc: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html' },
  // 80 including a FIFO queue's `.fifo` suffix.
  { type: 'AWS::SQS::Queue', property: 'QueueName', limit: 80, what: 'SQS queue name', doc: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html' },
  { type: 'AWS::SNS::Topic', property: 'TopicName', limit: 256, what: 'SNS topic name', doc: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html' },
  { type: 'AWS::SNS::Topic', property: 'DisplayName', limit: 100, what: 'SNS topic display name', doc: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html' },
  { type: 'AWS::DynamoDB::Table', property: 'TableName', limit: 255, what: 'DynamoDB table name', doc: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html' },
  { type: 'AWS::CloudWatch::Alarm', property: 'AlarmName', limit: 255, what: 'CloudWatch alarm name', doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html' },
  { type: 'AWS::CloudWatch::Alarm', property: 'Namespace', limit: 255, what: 'CloudWatch metric namespace', doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html' },
  { type: 'AWS::CloudWatch::CompositeAlarm', property: 'AlarmName', limit: 255, what: 'CloudWatch composite alarm name', doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html' },
  // The rule names every alarm of the service, stage and all.
  { type: 'AWS::CloudWatch::CompositeAlarm', property: 'AlarmRule', limit: 10240, what: 'CloudWatch composite alarm rule', doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html' },
  { type: 'AWS::CloudWatch::Dashboard', property: 'DashboardName', limit: 255, what: 'CloudWatch dashboard name', doc: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html' },
  { type: 'AWS::Logs::LogGroup', property: 'LogGroupName', limit: 512, what: 'CloudWatch Logs log group name', doc: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html' },
  { type: 'AWS::SecretsManager::Secret', property: 'Name', limit: 512, what: 'Secrets Manager secret name', doc: 'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html' },
  { type: 'AWS::Events::Rule', property: 'Name', limit: 64, what: 'EventBridge rule name', doc: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html' },
  { type: 'AWS::XRay::ResourcePolicy', property: 'PolicyName', limit: 128, what: 'X-Ray resource policy name', doc: 'https://docs.aws.amazon.com/xray/latest/api/API_PutResourcePolicy.html' },
  { type: 'AWS::KMS::Alias', property: 'AliasName', limit: 256, what: 'KMS alias name', doc: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html' },
  // 3-63 characters: lowercase letters, digits, hyphens and dots, a letter or digit first and last. Global
  // across accounts, so ours carry the account id and the region (12 digits and up to 14 characters).
  {
    type: 'AWS::S3::Bucket',
    property: 'BucketName',
    limit: 63,
    what: 'S3 bucket name',
    doc: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html',
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    patternText: 'lowercase letters, digits, hyphens and dots, a letter or digit first and last',
  },
]);
const STACK_NAME = { limit: 128, what: 'CloudFormation stack name', doc: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html' };
// CloudFormation states no limit of an export's name of its own; its quotas
// give an output's name 255 characters, which we hold export names to as well.
const EXPORT_NAME = { limit: 255, what: 'CloudFormation export name', doc: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html' };

/**
 * One name a stack sets: where (`<LogicalId>/<property>`, `stack`, or
 * `Outputs/<id>/Export/Name`), what it names, the name itself and its limit.
 * `shortest` is set for a name that shortens itself to fit (a function's role,
 * lib/names.cjs): the shortest it can become, which is what limits the stage.
 * @typedef {{ where: string, what: string, name: string, limit: number, doc: string, shortest?: string, pattern?: RegExp, patternText?: string }} NameEntry
 */

/** @param {unknown} value @returns {value is Record<string, any>} */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A name as CloudFormation will see it, when it is known before deploy: a
 * string, or an Fn::Join / Fn::Sub of strings and pseudo parameters (an account
 * id counts its 12 digits). Undefined when it depends on a resource.
 * @param {unknown} value
 * @param {{ region: string, stackName: string }} where
 * @returns {string | undefined}
 */
const knownName = (value, { region, stackName }) => {
  /** @type {Record<string, string>} */
  const pseudo = { 'AWS::Region': region, 'AWS::StackName': stackName, 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  /** @param {unknown} part @returns {string | undefined} */
  const known = (part) => {
    if (typeof part === 'string' || typeof part === 'number') return String(part);
    if (!isObject(part)) return undefined;
    if (typeof part.Ref === 'string') return pseudo[part.Ref];
    const join = part['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) {
      const parts = join[1].map(known);
      return parts.every((p) => p !== undefined) ? parts.join(String(join[0])) : undefined;
    }
    const sub = part['Fn::Sub'];
    if (typeof sub === 'string') {
      let unknown = false;
      const text = sub.replace(/\$\{([^}!]+)\}/g, (_, name) => pseudo[name] ?? ((unknown = true), ''));
      return unknown ? undefined : text;
    }
    return undefined;
  };
  return known(value);
};

/**
 * The names `resources` (a template's Resources section, or serverless.yml's)
 * set, for every property NAME_LIMITS lists.
 * @param {Record<string, any>} resources
 * @param {{ region: string, stackName: string }} where
 * @returns {NameEntry[]}
 */
const resourceNames = (resources, where) => {
  /** @type {NameEntry[]} */
  const entries = [];
  for (const [id, resource] of Object.entries(resources ?? {})) {
    if (!isObject(resource)) continue;
    for (const { type, property, limit, what, doc, pattern, patternText } of NAME_LIMITS) {
      if (resource.Type !== type) continue;
      /** @type {Array<[string, unknown]>} */
      const values = property === 'Policies/*/PolicyName'
        ? (Array.isArray(resource.Properties?.Policies) ? resource.Properties.Policies : []).map((/** @type {any} */ policy, /** @type {number} */ i) => [`Policies/${i}/PolicyName`, policy?.PolicyName])
        : [[property, resource.Properties?.[property]]];
      for (const [path, value] of values) {
        const name = knownName(value, where);
        if (name === undefined) continue;
        /** @type {NameEntry} */
        const entry = { where: `${id}/${path}`, what, name, limit, doc, ...(pattern && { pattern, patternText }) };
        // Our per-function roles cut themselves down to `<service>-<stage>-<hash>` (lib/names.cjs).
        if (type === 'AWS::IAM::Role' && property === 'RoleName' && name.startsWith(`${where.stackName}-`)) {
          entry.shortest = `${where.stackName}-${'0'.repeat(ROLE_HASH_LENGTH)}`;
        }
        entries.push(entry);
      }
    }
  }
  return entries;
};

/**
 * The export names of an Outputs section.
 * @param {Record<string, any> | undefined} outputs
 * @param {{ region: string, stackName: string }} where
 * @returns {NameEntry[]}
 */
const exportNames = (outputs, where) =>
  Object.entries(outputs ?? {}).flatMap(([id, output]) => {
    const name = knownName(output?.Export?.Name, where);
    return name === undefined ? [] : [{ where: `Outputs/${id}/Export/Name`, ...EXPORT_NAME, name }];
  });

/**
 * Every name a compiled template sets, and its stack's name.
 * @param {{ Resources?: Record<string, any>, Outputs?: Record<string, any> }} template
 * @param {{ region: string, stackName: string }} where
 * @returns {NameEntry[]}
 */
const templateNames = (template, where) => [
  { where: 'stack', ...STACK_NAME, name: where.stackName },
  ...resourceNames(template.Resources ?? {}, where),
  ...exportNames(template.Outputs, where),
];

/**
 * The names a service's configuration fixes before anything is compiled: the
 * stack, each function, its log group and its role (as plugins/name-limits.js
 * will name it), and what its own `resources` section names and exports.
 * (What the framework and plugins add while compiling, e.g. the alarms, is in
 * templateNames(); the policy test checks that it never limits the stage more.)
 * @param {{ service: string, stage: string, region: string, stackName?: string, functions?: Record<string, any>, resources?: { Resources?: Record<string, any>, Outputs?: Record<string, any> } }} config
 * @returns {NameEntry[]}
 */
const configNames = ({ service, stage, region, stackName = `${service}-${stage}`, functions = {}, resources = {} }) => {
  const where = { region, stackName };
  const byType = (/** @type {string} */ type, /** @type {string} */ property) => /** @type {NameLimit} */ (NAME_LIMITS.find((l) => l.type === type && l.property === property));
  const fn = byType('AWS::Lambda::Function', 'FunctionName');
  const logs = byType('AWS::Logs::LogGroup', 'LogGroupName');
  const role = byType('AWS::IAM::Role', 'RoleName');
  /** @type {NameEntry[]} */
  const entries = [{ where: 'stack', ...STACK_NAME, name: stackName }];
  for (const [key, definition] of Object.entries(functions ?? {})) {
    const name = typeof definition?.name === 'string' ? definition.name : `${service}-${stage}-${key}`;
    entries.push({ where: `functions.${key}.name`, ...fn, name });
    entries.push({ where: `functions.${key} log group`, ...logs, name: `/aws/lambda/${name}` });
    if (definition?.iamRoleStatements !== undefined) {
      entries.push({
        where: `functions.${key} role`,
        ...role,
        name: functionRoleName({ service, stage, functionName: key, region }),
        shortest: `${rolePrefix(service, stage)}${'0'.repeat(ROLE_HASH_LENGTH)}`,
      });
    }
  }
  return [...entries, ...resourceNames(resources?.Resources ?? {}, where), ...exportNames(resources?.Outputs, where)];
};

/** @param {NameEntry} entry */
const describeEntry = ({ where, what, name, limit, doc }) => `${where}: ${what} "${name}" is ${name.length} characters, over the limit of ${limit} (${doc})`;

/**
 * The names longer than AWS allows, one line each.
 * @param {NameEntry[]} entries
 * @returns {string[]}
 */
const namesOverLimit = (entries) => [
  ...entries.filter((entry) => entry.name.length > entry.limit).map(describeEntry),
  ...entries
    .filter((entry) => entry.pattern !== undefined && entry.name.length <= entry.limit && !entry.pattern.test(entry.name))
    .map(({ where, what, name, patternText, doc }) => `${where}: ${what} "${name}" may hold only ${patternText} (${doc})`),
];

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * How often `stage` is in `name` as a whole part (not inside a longer word:
 * stage `a` is not in `items-api`).
 * @param {string} name @param {string} stage
 */
const stageCount = (name, stage) => (name.match(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(stage)}(?![A-Za-z0-9])`, 'g')) ?? []).length;

/**
 * The longest stage with which every one of `entries` (names built with
 * `stage`) would still fit its limit, and the name that decides it. A name
 * holding the stage k times grows by k characters per character of stage.
 * Names without the stage do not limit it (Infinity when none has it).
 * @param {NameEntry[]} entries
 * @param {string} stage
 * @returns {{ length: number, decidedBy?: NameEntry }}
 */
const longestStage = (entries, stage) => {
  /** @type {{ length: number, decidedBy?: NameEntry }} */
  let best = { length: Infinity };
  for (const entry of entries) {
    const name = entry.shortest ?? entry.name;
    const count = stageCount(name, stage);
    if (count === 0) continue;
    const fixed = name.length - count * stage.length;
    const length = Math.floor((entry.limit - fixed) / count);
    if (length < best.length) best = { length, decidedBy: entry };
  }
  return best;
};

/**
 * Why `stage` is not a stage name, or undefined when it is one.
 * @param {unknown} stage
 * @returns {string | undefined}
 */
const stageShapeProblem = (stage) =>
  typeof stage === 'string' && STAGE_SHAPE.test(stage) ? undefined : `Stage ${JSON.stringify(stage)} is not a stage name: ${STAGE_SHAPE_TEXT}.`;

/**
 * Why `serverless package/deploy` must refuse `stage` for `service`, or
 * undefined when it may go on. `entries` are the service's names for that
 * stage (configNames()): they give this service's own limit exactly, and the
 * names that would not fit; maxStageLengthsIn(region) the other services'
 * (`region`: the stack's, which some names carry; us-east-1 unless given).
 * @param {{ service: string, stage: string, entries: NameEntry[], region?: string }} of
 * @returns {string | undefined}
 */
const stageRefusal = ({ service, stage, entries, region = REFERENCE_REGION }) => {
  const shape = stageShapeProblem(stage);
  if (shape) return shape;
  const own = longestStage(entries, stage).length;
  const others = maxStageLengthsIn(region);
  /** @type {Record<string, number>} */
  const limits = { ...others, [service]: Math.min(own, others[service] ?? Infinity) };
  const max = Math.min(...Object.values(limits));
  const over = namesOverLimit(entries);
  if (stage.length <= max && over.length === 0) return undefined;
  const perService = Object.entries(limits)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, length]) => `  ${name}: at most ${length} characters`)
    .join('\n');
  return [
    `Stage "${stage}" is ${stage.length} characters; a stage may be at most ${max} in ${region}, so that every service's names fit AWS's limits on it:`,
    perService,
    ...(over.length > 0 ? [`${service} would name:`, ...over.map((line) => `  ${line}`)] : []),
    'Choose a shorter stage (docs/deploying.md, "Stage names").',
  ].join('\n');
};

module.exports = {
  STAGE_SHAPE,
  STAGE_SHAPE_TEXT,
  MAX_STAGE_LENGTH,
  MAX_STAGE_LENGTH_BY_SERVICE,
  REFERENCE_REGION,
  REGIONAL_NAMES_BY_SERVICE,
  maxStageLengthsIn,
  NAME_LIMITS,
  STACK_NAME,
  EXPORT_NAME,
  templateNames,
  configNames,
  namesOverLimit,
  longestStage,
  stageShapeProblem,
  stageRefusal,
};
