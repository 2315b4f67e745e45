// Our deployment rules for a packaged CloudFormation template (what
// `serverless package` writes to .serverless/). Each rule takes the parsed
// template and returns its problems as "<LogicalId>: <what is wrong>"
// strings: an empty list means the template keeps the rule.
// cfn-lint (./cfn-lint.mjs) checks that CloudFormation would accept the
// template; these check that we would.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** @type {typeof import('@platform/serverless-base/lib/stage-names')} */
const stageNames = require('@platform/serverless-base/lib/stage-names');

/**
 * A value inside a template, as JSON.parse made it. Its shape is exactly what
 * the rules check, so no declared type can be trusted: every rule reads it
 * through guards (optional chaining, isObject, asArray, literalNumber,
 * targetOf) and reports what is not as it should be. `any` here, and only
 * here, keeps those reads as plain as the JSON they read.
 * @typedef {any} Json
 */
/**
 * A resource of a template.
 * @typedef {object} Resource
 * @property {string} Type
 * @property {Record<string, Json>} [Properties]
 * @property {string} [Condition]
 * @property {string | string[]} [DependsOn]
 * @property {string} [DeletionPolicy]
 * @property {string} [UpdateReplacePolicy]
 */
/**
 * A CloudFormation template, as `serverless package` writes it
 * (.serverless/cloudformation-template-update-stack.json).
 * @typedef {object} Template
 * @property {Record<string, Resource>} [Resources]
 * @property {Record<string, Json>} [Outputs]
 * @property {Record<string, Json>} [Conditions]
 * @property {Record<string, Json>} [Parameters]
 * @property {Record<string, Json>} [Mappings]
 */
/** Where in a template ("<LogicalId>/<path>") and what a policy statement says. @typedef {{ where: string, statement: Json }} Statement */

/** @type {(value: unknown) => value is Record<string, Json>} */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
/** @type {(value: Json) => Json[]} */
const asArray = (value) => (value === undefined ? [] : [value].flat());
/** @param {unknown} value */
const show = (value) => JSON.stringify(value);
/**
 * @param {Template} template
 * @param {string} type
 * @returns {[string, Resource][]}
 */
const resourcesOfType = (template, type) =>
  Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
/**
 * The logical ID that { Ref: id } or { "Fn::GetAtt": [id, attribute] } points at, if the value is one of those.
 * @param {Json} value
 * @returns {string | undefined}
 */
const targetOf = (value) => {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};
/**
 * A literal number (CloudFormation also takes numeric strings); undefined for an intrinsic.
 * @param {Json} value
 * @param {number} [fallback] what AWS takes when the template leaves it out
 * @returns {number | undefined}
 */
const literalNumber = (value, fallback) => {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
};
/**
 * Properties that are JSON may also be given as a JSON string.
 * @param {Json} value
 * @returns {Json}
 */
const parsedJson = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
/**
 * The resource `id` of the template, if there is one.
 * @param {Template} template
 * @param {string | undefined} id
 */
const resourceOf = (template, id) => (id === undefined ? undefined : template.Resources?.[id]);

// AWS defaults, for properties a template leaves out.
const LAMBDA_DEFAULT_TIMEOUT = 3;
const SQS_DEFAULT_VISIBILITY_TIMEOUT = 30;
const SQS_DEFAULT_RETENTION = 345_600; // 4 days

// ---------------------------------------------------------------------------
// One IAM role per function: a function's role holds exactly what that
// function needs, and no role holds permissions for nobody (the framework's
// shared default role, IamRoleLambdaExecution, is such a role once every
// function has its own).
/** @param {Template} template */
export function oneRolePerFunction(template) {
  const problems = [];
  /** @type {Map<string, string[]>} role -> the functions that use it */
  const users = new Map(resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => [id, []]));
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const role = fn.Properties?.Role;
    const getAtt = isObject(role) ? role['Fn::GetAtt'] : undefined;
    const [roleId, attribute] = Array.isArray(getAtt) ? getAtt : typeof getAtt === 'string' ? getAtt.split('.') : [];
    const functions = users.get(roleId);
    if (!functions || attribute !== 'Arn') {
      problems.push(`${id}: Role must be {"Fn::GetAtt": [<an AWS::IAM::Role of this template>, "Arn"]}, is ${show(role)}`);
    } else {
      functions.push(id);
    }
  }
  for (const [roleId, functions] of users) {
    if (functions.length === 0) problems.push(`${roleId}: IAM role used by no function`);
    if (functions.length > 1) problems.push(`${roleId}: IAM role shared by ${functions.join(', ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// No wildcards in what a policy allows.
/** @type {Record<string, (properties: Record<string, Json>) => [string, Json][]>} resource type -> its policy documents, each with its path */
const POLICY_DOCUMENTS = {
  'AWS::IAM::Role': (p) => [
    ['AssumeRolePolicyDocument', p.AssumeRolePolicyDocument],
    ...asArray(p.Policies).map((policy, i) => /** @type {[string, Json]} */ ([`Policies/${i}`, policy?.PolicyDocument])),
  ],
  'AWS::IAM::Policy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::IAM::ManagedPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::SQS::QueuePolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::SNS::TopicPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::S3::BucketPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
};

/**
 * Every statement of every policy document in the template, with where it is ("<LogicalId>/<path>").
 * @param {Template} template
 */
export function policyStatements(template) {
  /** @type {Statement[]} */
  const statements = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const documents = POLICY_DOCUMENTS[resource.Type]?.(resource.Properties ?? {}) ?? [];
    for (const [path, document] of documents) {
      asArray(parsedJson(document)?.Statement).forEach((statement, i) =>
        statements.push({ where: `${id}/${path}/Statement/${i}`, statement }),
      );
    }
  }
  return statements;
}

/** @param {Json} action */
const isWildcardAction = (action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
// CloudWatch Logs and X-Ray actions are the ones that may (or must) name every resource.
/** @param {Json} action */
const mayUseAnyResource = (action) => typeof action === 'string' && /^(logs|xray):/i.test(action);

/** @param {Template} template */
export function noWildcards(template) {
  const problems = [];
  for (const { where, statement } of policyStatements(template)) {
    // A Deny only takes access away: the framework's TLS-only bucket policy
    // denies "s3:*" on purpose.
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotAction !== undefined) problems.push(`${where}: Allow with NotAction allows every other action`);
    if (statement.NotResource !== undefined) problems.push(`${where}: Allow with NotResource allows every other resource`);
    const actions = asArray(statement.Action);
    for (const action of actions.filter(isWildcardAction)) problems.push(`${where}: Action ${show(action)} allows a whole service`);
    const others = actions.filter((action) => !mayUseAnyResource(action));
    if (asArray(statement.Resource).includes('*') && others.length > 0) {
      problems.push(`${where}: Resource "*" for ${others.join(', ')} (only logs:/xray: actions may use "*")`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Every policy statement says what it is about: an Effect of Allow or Deny, an
// Action (or NotAction), and, but in a role's trust policy, a Resource (or
// NotResource); never both of a pair. IAM refuses a policy with a statement
// that does not (a typo such as `Actions:` fails the deploy), and the local IAM
// layer, which would otherwise read the missing key as "everything", grants
// nothing for it: this finds it before either.
/** @param {Template} template */
export function wellFormedStatements(template) {
  const problems = [];
  for (const { where, statement } of policyStatements(template)) {
    if (!isObject(statement)) {
      problems.push(`${where}: a statement must be an object, got ${show(statement)}`);
      continue;
    }
    const has = (/** @type {string} */ key) => statement[key] !== undefined;
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') problems.push(`${where}: Effect ${show(statement.Effect)} must be "Allow" or "Deny"`);
    /** @type {[string, string][]} */
    const pairs = where.includes('/AssumeRolePolicyDocument/') ? [['Action', 'NotAction']] : [['Action', 'NotAction'], ['Resource', 'NotResource']];
    for (const [key, notKey] of pairs) {
      if (!has(key) && !has(notKey)) {
        const others = Object.keys(statement).filter((name) => !['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'].includes(name));
        problems.push(`${where}: statement has no ${key} (nor ${notKey}), so IAM refuses the policy${others.length > 0 ? ` (unknown keys: ${others.join(', ')})` : ''}`);
      }
      if (has(key) && has(notKey)) problems.push(`${where}: statement has both ${key} and ${notKey}, so IAM refuses the policy`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// An SQS queue that feeds a function keeps a received message invisible for
// at least 6 x the function's timeout (AWS's advice), or a batch still being
// processed, or retried after throttling, is handed out a second time.
/**
 * The AWS::Lambda::Function a FunctionName points at, through an alias or version if need be.
 * @param {Template} template
 * @param {Json} value
 * @returns {string | undefined}
 */
const functionBehind = (template, value) => {
  let id = targetOf(value);
  for (let hops = 0; hops < 3 && id; hops++) {
    const resource = resourceOf(template, id);
    if (resource?.Type === 'AWS::Lambda::Function') return id;
    if (!resource || !['AWS::Lambda::Alias', 'AWS::Lambda::Version'].includes(resource.Type)) return undefined;
    id = targetOf(resource.Properties?.FunctionName);
  }
  return undefined;
};

/** @param {Template} template */
export function sqsVisibilityTimeout(template) {
  const problems = [];
  for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const source = mapping.Properties?.EventSourceArn;
    const queueId = targetOf(source);
    const queue = resourceOf(template, queueId);
    if (queue?.Type !== 'AWS::SQS::Queue') {
      if (!queue && show(source ?? '').includes(':sqs:')) problems.push(`${id}: SQS event source ${show(source)} is not in this template, so its VisibilityTimeout cannot be checked`);
      continue;
    }
    const functionId = functionBehind(template, mapping.Properties?.FunctionName);
    if (!functionId) {
      problems.push(`${id}: FunctionName ${show(mapping.Properties?.FunctionName)} is no function of this template`);
      continue;
    }
    const timeout = literalNumber(resourceOf(template, functionId)?.Properties?.Timeout, LAMBDA_DEFAULT_TIMEOUT);
    const visibility = literalNumber(queue.Properties?.VisibilityTimeout, SQS_DEFAULT_VISIBILITY_TIMEOUT);
    if (timeout === undefined || visibility === undefined) {
      problems.push(`${queueId}: VisibilityTimeout and ${functionId}'s Timeout must be literal numbers to be checked`);
    } else if (visibility < 6 * timeout) {
      problems.push(`${queueId}: VisibilityTimeout ${visibility} s is under 6 x the ${timeout} s Timeout of ${functionId} it feeds (needs >= ${6 * timeout} s)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Every SQS event source mapping caps its concurrent batches
// (ScalingConfig.MaximumConcurrency, 2-1000), so the mapping does not take
// more batches than the function can run: Lambda's throttled receives of the
// excess would count towards maxReceiveCount and could dead-letter a good
// message. A stream mapping has no such setting.
/** @param {Template} template */
export function sqsMaximumConcurrency(template) {
  const problems = [];
  for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const source = mapping.Properties?.EventSourceArn;
    const queue = resourceOf(template, targetOf(source));
    const isSqs = queue?.Type === 'AWS::SQS::Queue' || (!queue && show(source ?? '').includes(':sqs:'));
    if (!isSqs) continue;
    const cap = literalNumber(mapping.Properties?.ScalingConfig?.MaximumConcurrency);
    if (cap === undefined || !(cap >= 2 && cap <= 1000)) {
      problems.push(`${id}: SQS event source without ScalingConfig.MaximumConcurrency (2-1000), has ${show(mapping.Properties?.ScalingConfig?.MaximumConcurrency)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Dead-letter queues keep a message for the longest SQS allows (14 days), so
// there is time to notice, fix and redrive; a message gets 5 receives before
// it is dead-lettered. AWS advises at least 5 for a queue that triggers
// Lambda, since a receive that Lambda throttles counts too (the seed's 3 was
// below that).
export const DLQ_RETENTION_SECONDS = 1_209_600;
export const MAX_RECEIVE_COUNT = 5;

/**
 * Where dead letters go, by resource type. A RedrivePolicy always names a
 * queue (`redrive`); an on-failure destination may also be a topic or bucket.
 */
/** @type {Record<string, (properties: Record<string, Json>) => { redrive?: Json, onFailure?: Json }>} */
const DEAD_LETTER_TARGETS = {
  'AWS::SQS::Queue': (p) => ({ redrive: parsedJson(p.RedrivePolicy)?.deadLetterTargetArn }),
  'AWS::SNS::Subscription': (p) => ({ redrive: parsedJson(p.RedrivePolicy)?.deadLetterTargetArn }),
  'AWS::Lambda::EventSourceMapping': (p) => ({ onFailure: p.DestinationConfig?.OnFailure?.Destination }),
  'AWS::Lambda::EventInvokeConfig': (p) => ({ onFailure: p.DestinationConfig?.OnFailure?.Destination }),
  'AWS::Lambda::Function': (p) => ({ onFailure: p.DeadLetterConfig?.TargetArn }),
};

/** @param {Template} template */
export function deadLetterQueues(template) {
  const problems = [];
  const resources = template.Resources ?? {};
  /** @type {Map<string, string[]>} queue id -> ids of the resources that send it dead letters */
  const deadLetterQueues = new Map();
  for (const [id, resource] of Object.entries(resources)) {
    const targets = DEAD_LETTER_TARGETS[resource.Type];
    if (!targets) continue;
    let target;
    try {
      target = targets(resource.Properties ?? {});
    } catch (error) {
      problems.push(`${id}: RedrivePolicy is not valid JSON (${error instanceof Error ? error.message : error})`);
      continue;
    }
    const arn = target.redrive ?? target.onFailure;
    if (arn === undefined) continue;
    const queueId = targetOf(arn);
    const queue = resourceOf(template, queueId);
    if (queueId !== undefined && queue?.Type === 'AWS::SQS::Queue') {
      deadLetterQueues.set(queueId, [...(deadLetterQueues.get(queueId) ?? []), id]);
    } else if (!queue && (target.redrive !== undefined || show(arn).includes(':sqs:'))) {
      problems.push(`${id}: dead-letter queue ${show(arn)} is not in this template, so its retention cannot be checked`);
    }
    if (resource.Type === 'AWS::SQS::Queue' && resource.Properties?.RedrivePolicy !== undefined) {
      const count = literalNumber(parsedJson(resource.Properties.RedrivePolicy).maxReceiveCount);
      if (count !== MAX_RECEIVE_COUNT) problems.push(`${id}: RedrivePolicy maxReceiveCount is ${show(count)}, must be ${MAX_RECEIVE_COUNT}`);
    }
  }
  for (const [queueId, senders] of deadLetterQueues) {
    const retention = literalNumber(resources[queueId]?.Properties?.MessageRetentionPeriod, SQS_DEFAULT_RETENTION);
    if (retention !== DLQ_RETENTION_SECONDS) {
      problems.push(`${queueId}: dead-letter queue (of ${senders.join(', ')}) has MessageRetentionPeriod ${show(retention)}, must be ${DLQ_RETENTION_SECONDS} (14 days)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// A queue policy lets exactly one thing in: SNS delivering from the
// domain-events topic (or, for a queue a bucket notifies, S3 from that bucket:
// bucketNotifications). `topicArn` is how this template names that topic,
// e.g. { "Fn::ImportValue": "event-bus-dev-DomainEventsTopicArn" } (see eventBusTopicArn).
/** @type {(a: unknown, b: unknown) => boolean} */
const equal = (a, b) => show(a) === show(b);

/**
 * @param {Template} template
 * @param {Json} topicArn
 */
export function queuePoliciesAllowOnlyTheTopic(template, topicArn) {
  const problems = [];
  // A queue that a bucket of the template notifies lets in S3 from that bucket instead (bucketNotifications checks its policy).
  const notified = new Set(bucketNotificationQueueIds(template));
  for (const { where, statement } of policyStatements(template)) {
    const id = where.split('/')[0];
    const policy = resourceOf(template, id);
    if (policy?.Type !== 'AWS::SQS::QueuePolicy') continue;
    const queues = asArray(policy.Properties?.Queues).map(targetOf);
    if (queues.length > 0 && queues.every((queueId) => queueId !== undefined && notified.has(queueId))) continue;
    // A Deny only narrows what the Allow statements let in.
    if (statement.Effect === 'Deny') continue;
    if (statement.Effect !== 'Allow') problems.push(`${where}: Effect ${show(statement.Effect)} is neither Allow nor Deny`);
    const actions = asArray(statement.Action);
    if (statement.NotAction !== undefined || actions.length !== 1 || String(actions[0]).toLowerCase() !== 'sqs:sendmessage') {
      problems.push(`${where}: must allow only sqs:SendMessage, allows ${show(statement.Action ?? { NotAction: statement.NotAction })}`);
    }
    const services = isObject(statement.Principal) && Object.keys(statement.Principal).length === 1 ? asArray(statement.Principal.Service) : [];
    if (statement.NotPrincipal !== undefined || services.length !== 1 || services[0] !== 'sns.amazonaws.com') {
      problems.push(`${where}: principal must be only {"Service": "sns.amazonaws.com"}, is ${show(statement.Principal ?? { NotPrincipal: statement.NotPrincipal })}`);
    }
    // Other condition operators are ANDed with this one, so they can only narrow it.
    const sourceArn = statement.Condition?.ArnEquals?.['aws:SourceArn'];
    if (topicArn === undefined) {
      problems.push(`${where}: this template has no domain-events topic to allow`);
    } else if (!equal(sourceArn, topicArn) && !equal(sourceArn, [topicArn])) {
      problems.push(`${where}: Condition must be ArnEquals aws:SourceArn ${show(topicArn)}, is ${show(statement.Condition)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Every function on Node.js 22 or newer. Older Node runtimes are deprecated
// or close to it (cfn-lint's E2533 fails the deprecated ones only once AWS has
// deprecated them), and our bundles are built for node22 (esbuild `target` in
// infra/serverless/base.cjs), which an older runtime may not run. The Runtime
// must be a literal: we ship zips, not container images, so a function
// without one is a mistake too.
export const MIN_NODE_MAJOR = 22;

/** @param {Template} template */
export function nodeRuntimes(template) {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) => {
    const runtime = fn.Properties?.Runtime;
    const major = /^nodejs(\d+)\.x$/.exec(typeof runtime === 'string' ? runtime : '')?.[1];
    if (major !== undefined && Number(major) >= MIN_NODE_MAJOR) return [];
    return [`${id}: Runtime ${runtime === undefined ? 'is missing' : show(runtime)}: must be nodejs${MIN_NODE_MAJOR}.x or newer`];
  });
}

/**
 * Each function's zip, by the file name at the end of its Code.S3Key (what osls uploads from .serverless/).
 * @param {Template} template
 * @returns {{ id: string, zip: string | undefined }[]}
 */
export function functionZips(template) {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => {
    const key = fn.Properties?.Code?.S3Key;
    return { id, zip: typeof key === 'string' ? key.split('/').pop() : undefined };
  });
}

// ---------------------------------------------------------------------------
// Each service owns its data. Its template names only its own tables, queues,
// topics and exports; it reaches the other services through the event bus
// alone, so the only names from elsewhere it may hold are the platform
// stack's two topics, the bus and the stage's alarm topic (its alarms'
// actions): as the platform's exports, or as a topic's name in a literal ARN
// (the local stage).
// A grant on another service's table, a subscription of another service's
// queue or an import of another stack's output couples the two deploys (an
// export in use cannot change) and lets one team's change break another's
// data, which is what giving every service its own data undid.
export const EVENT_BUS_SERVICE = 'event-bus';
/**
 * How a service's template names the bus topic on `stage`: one of the two imports any template may hold.
 * @param {string} stage
 */
export const eventBusTopicArn = (stage) => ({ 'Fn::ImportValue': `${EVENT_BUS_SERVICE}-${stage}-DomainEventsTopicArn` });
/**
 * How a service's template names the stage's alarm topic, for its alarms' actions: the other import.
 * @param {string} stage
 */
export const alarmTopicArn = (stage) => ({ 'Fn::ImportValue': `${EVENT_BUS_SERVICE}-${stage}-AlarmTopicArn` });

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * How a value that only exists at deploy time shows in a text.
 * @param {Json} value
 */
const placeholder = (value) => {
  if (isObject(value) && typeof value.Ref === 'string') return `\${${value.Ref}}`;
  const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
  if (Array.isArray(getAtt) && getAtt.every((part) => typeof part === 'string')) return `\${${getAtt.join('.')}}`;
  return '${…}';
};
/**
 * The text a string, Fn::Join or Fn::Sub makes (undefined for any other value),
 * with what only exists at deploy time as a placeholder, and those values
 * (`rest`, each with its path) still to be looked into. A name split over
 * Join pieces or Sub variables is whole in the text.
 * @typedef {{ text: string, rest: { value: Json, path: string }[] }} Text
 * @param {Json} value
 * @param {string} path
 * @returns {Text | undefined}
 */
const textOf = (value, path) => {
  if (typeof value === 'string') return { text: value, rest: [] };
  const [fn, args] = (isObject(value) && Object.keys(value).length === 1 && Object.entries(value)[0]) || [];
  /** @type {(part: Json, partPath: string) => Text} */
  const piece = (part, partPath) => textOf(part, partPath) ?? { text: placeholder(part), rest: [{ value: part, path: partPath }] };
  if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
    const pieces = args[1].map((part, i) => piece(part, `${path}/Fn::Join/1/${i}`));
    return { text: pieces.map((p) => p.text).join(args[0]), rest: pieces.flatMap((p) => p.rest) };
  }
  const [body, variables = {}] = fn === 'Fn::Sub' ? asArray(args) : [];
  if (typeof body === 'string' && isObject(variables)) {
    /** @type {Record<string, Text>} */
    const pieces = Object.fromEntries(Object.entries(variables).map(([name, part]) => [name, piece(part, `${path}/Fn::Sub/1/${name}`)]));
    const text = body.replace(/\$\{([^!}][^}]*)\}/g, (/** @type {string} */ whole, /** @type {string} */ name) => pieces[name.trim()]?.text ?? whole);
    return { text, rest: Object.values(pieces).flatMap((p) => p.rest) };
  }
  return undefined;
};

/**
 * Problems "<LogicalId or Section/name>: <path>: ..." for every import other
 * than the bus topic's and the alarm topic's (the bus itself imports
 * nothing), and every text that holds "<other>-<stage>-" for another service
 * <other> of `services`, but for those topics' own names
 * "event-bus-<stage>-domain-events" and "event-bus-<stage>-alarms", and for
 * another service's alarm shown on a dashboard (`:alarm:<other>-<stage>-…`):
 * a dashboard only reads an alarm's state, nothing depends on it.
 * @param {Template} template
 * @param {{ service: string, stage: string, services: string[] }} options
 */
export function ownResourcesOnly(template, { service, stage, services }) {
  /** @type {string[]} */
  const problems = [];
  const allowedImports = [eventBusTopicArn(stage), alarmTopicArn(stage)].map((arn) => arn['Fn::ImportValue']);
  // Longest name first, so that of two services whose names end alike the text names the longer one.
  const names = [...new Set([service, EVENT_BUS_SERVICE, ...services])].sort((a, b) => b.length - a.length);
  const prefix = new RegExp(`(?<![A-Za-z0-9_])(${names.map(escapeRegExp).join('|')})-${escapeRegExp(stage)}-`, 'g');
  /**
   * The other services whose resources `text` names.
   * @param {string} text
   * @param {{ onDashboard?: boolean, onBusPolicy?: boolean }} [where]
   * @returns {string[]}
   */
  const othersIn = (text, { onDashboard = false, onBusPolicy = false } = {}) => {
    /** @type {Set<string>} */
    const others = new Set();
    for (const match of text.matchAll(prefix)) {
      const [whole, name = ''] = match;
      const rest = text.slice(match.index + whole.length);
      if (name === service || (name === EVENT_BUS_SERVICE && /^(domain-events|alarms)(?![A-Za-z0-9_-])/.test(rest))) continue;
      if (onDashboard && text.slice(0, match.index).endsWith(':alarm:')) continue;
      // The bus's topic policy names who may publish: the producers' roles, by name pattern (busPublishersOnly).
      if (onBusPolicy && text.slice(0, match.index).endsWith(':role/') && rest === '*') continue;
      others.add(name);
    }
    return [...others];
  };
  /** @param {string} where */
  const onDashboard = (where) => resourceOf(template, where)?.Type === 'AWS::CloudWatch::Dashboard';
  /** @param {string} where */
  const onBusPolicy = (where) => service === EVENT_BUS_SERVICE && resourceOf(template, where)?.Type === 'AWS::SNS::TopicPolicy';
  /** @type {(where: string, value: Json, path: string) => void} */
  const visit = (where, value, path) => {
    const made = textOf(value, path);
    if (made) {
      for (const other of othersIn(made.text, { onDashboard: onDashboard(where), onBusPolicy: onBusPolicy(where) })) problems.push(`${where}: ${path}: names ${other}'s resource ${show(made.text)}`);
      for (const part of made.rest) visit(where, part.value, part.path);
    } else if (isObject(value) && 'Fn::ImportValue' in value) {
      const name = textOf(value['Fn::ImportValue'], path)?.text ?? placeholder(value['Fn::ImportValue']);
      if (service === EVENT_BUS_SERVICE) {
        problems.push(`${where}: ${path}/Fn::ImportValue: imports ${show(name)}, and the event bus may import nothing`);
      } else if (!allowedImports.includes(name)) {
        const owner = othersIn(name)[0] ?? (name.startsWith(`${service}-`) ? service : undefined);
        const whose = owner === undefined ? 'an export' : owner === service ? 'its own export' : `${owner}'s export`;
        problems.push(`${where}: ${path}/Fn::ImportValue: imports ${whose} ${show(name)}, only ${allowedImports.map(show).join(' or ')} may be imported`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(where, item, `${path}/${i}`));
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) visit(where, item, path ? `${path}/${key}` : key);
    }
  };
  for (const section of /** @type {const} */ (['Parameters', 'Mappings', 'Conditions', 'Resources', 'Outputs'])) {
    for (const [id, entry] of Object.entries(template[section] ?? {})) visit(section === 'Resources' ? id : `${section}/${id}`, entry, '');
  }
  return problems;
}

// ---------------------------------------------------------------------------
// A queue that feeds a function is fed by the bus (or by a bucket of its own, whose
// notifications bucketNotifications checks), and only with the events
// that function handles: an SQS subscription to the bus topic with raw
// delivery (the SQS body is the event envelope itself) and a filter policy on
// the `type` message attribute.
/**
 * @param {Template} template
 * @param {Json} topicArn how the template names the bus topic (eventBusTopicArn)
 */
export function consumerQueuesSubscribeToTheBus(template, topicArn) {
  const problems = [];
  const queues = new Set(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .map(([, mapping]) => targetOf(mapping.Properties?.EventSourceArn))
      .filter((id) => resourceOf(template, id)?.Type === 'AWS::SQS::Queue'),
  );
  const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription');
  // A queue fed by a bucket's notifications is not the bus's (bucketNotifications checks it).
  const notified = new Set(bucketNotificationQueueIds(template));
  for (const queueId of queues) {
    if (notified.has(queueId)) continue;
    const feeding = subscriptions.filter(([, subscription]) => targetOf(subscription.Properties?.Endpoint) === queueId);
    if (feeding.length === 0) problems.push(`${queueId}: feeds a function, but no AWS::SNS::Subscription delivers to it`);
    for (const [id, { Properties: p = {} }] of feeding) {
      if (p.Protocol !== 'sqs') problems.push(`${id}: Protocol must be "sqs", is ${show(p.Protocol)}`);
      if (!equal(p.TopicArn, topicArn)) problems.push(`${id}: TopicArn must be the bus, ${show(topicArn)}, is ${show(p.TopicArn)}`);
      if (String(p.RawMessageDelivery) !== 'true') problems.push(`${id}: RawMessageDelivery must be true, is ${show(p.RawMessageDelivery)}`);
      const types = asArray(parsedJson(p.FilterPolicy)?.type);
      if ((p.FilterPolicyScope ?? 'MessageAttributes') !== 'MessageAttributes' || types.length === 0) {
        problems.push(`${id}: must filter on the \`type\` message attribute, has FilterPolicy ${show(p.FilterPolicy)} (scope ${show(p.FilterPolicyScope)})`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// HTTP APIs: nothing that changes state is open to anyone. Every route that is
// not a read (GET/HEAD/OPTIONS) sits behind a JWT authorizer of its own API,
// which trusts an https issuer and names its audiences, and every API's stage
// throttles its routes.
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** @param {Template} template */
export function httpApisAuthorizeWrites(template) {
  const problems = [];
  for (const [id, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const properties = route.Properties ?? {};
    const [method = ''] = String(properties.RouteKey ?? '').split(' ');
    const type = properties.AuthorizationType ?? 'NONE';
    if (type === 'NONE') {
      if (!READ_METHODS.has(method.toUpperCase())) problems.push(`${id}: ${properties.RouteKey} changes state and has no authorizer`);
      continue;
    }
    const authorizerId = targetOf(properties.AuthorizerId);
    const authorizer = resourceOf(template, authorizerId);
    if (type !== 'JWT' || authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer' || authorizer.Properties?.AuthorizerType !== 'JWT') {
      problems.push(`${id}: its authorizer must be a JWT authorizer of this template, got ${show(type)} ${show(properties.AuthorizerId)}`);
      continue;
    }
    const jwt = authorizer.Properties.JwtConfiguration ?? {};
    if (typeof jwt.Issuer !== 'string' || !/^https:\/\/\S+$/.test(jwt.Issuer)) problems.push(`${authorizerId}: Issuer ${show(jwt.Issuer)} is not an https URL`);
    if (!Array.isArray(jwt.Audience) || jwt.Audience.length === 0) problems.push(`${authorizerId}: it names no Audience`);
  }
  for (const [id, stage] of resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')) {
    const settings = stage.Properties?.DefaultRouteSettings ?? {};
    const rate = literalNumber(settings.ThrottlingRateLimit);
    const burst = literalNumber(settings.ThrottlingBurstLimit);
    if (!(rate !== undefined && rate > 0) || !(burst !== undefined && burst > 0)) problems.push(`${id}: DefaultRouteSettings must throttle every route (rate ${show(settings.ThrottlingRateLimit)}, burst ${show(settings.ThrottlingBurstLimit)})`);
  }
  return problems;
}

/**
 * Each route's access as `<route key>` → 'public', 'token' or the scopes it needs, joined with ' or '.
 * @param {Template} template
 * @returns {Record<string, string>}
 */
export const routeAccess = (template) =>
  Object.fromEntries(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const { RouteKey, AuthorizationType = 'NONE', AuthorizationScopes = [] } = route.Properties ?? {};
      return [RouteKey, AuthorizationType === 'NONE' ? 'public' : AuthorizationScopes.length > 0 ? AuthorizationScopes.join(' or ') : 'token'];
    }),
  );

// ---------------------------------------------------------------------------
// Alarms on everything that can fail unseen (docs/operating.md): every
// dead-letter queue (any message), every queue that feeds a function (age of
// its oldest message), every function (errors, throttles), every function
// fed by a stream (iterator age) and every HTTP API (5xx). infra/serverless
// adds them; these rules find the subjects on their own, so an alarm the
// plugin failed to add, or a subject it did not recognise, is caught here.

/**
 * Every metric an AWS::CloudWatch::Alarm watches: its own, or those of its metric math.
 * @param {Resource} alarm
 * @returns {{ namespace: Json, name: Json, dimensions: Json[] }[]}
 */
const alarmMetrics = (alarm) => {
  const p = alarm.Properties ?? {};
  if (p.MetricName !== undefined) return [{ namespace: p.Namespace, name: p.MetricName, dimensions: asArray(p.Dimensions) }];
  return asArray(p.Metrics)
    .map((query) => query?.MetricStat?.Metric)
    .filter(Boolean)
    .map((metric) => ({ namespace: metric.Namespace, name: metric.MetricName, dimensions: asArray(metric.Dimensions) }));
};
/**
 * A dimension value that names the resource `id`: by Ref / Fn::GetAtt, or by its literal name.
 * @param {Json} value
 * @param {string} id
 * @param {Json} [literalName]
 */
const namesResource = (value, id, literalName) => targetOf(value) === id || (typeof value === 'string' && value === literalName);

/**
 * The logical IDs of the template's SQS queues that receive dead letters (see DEAD_LETTER_TARGETS).
 * @param {Template} template
 */
export function deadLetterQueueIds(template) {
  const resources = template.Resources ?? {};
  /** @type {Set<string>} */
  const ids = new Set();
  for (const resource of Object.values(resources)) {
    const targets = DEAD_LETTER_TARGETS[resource.Type];
    if (!targets) continue;
    let target;
    try {
      target = targets(resource.Properties ?? {});
    } catch {
      continue; // deadLetterQueues reports the invalid RedrivePolicy
    }
    const queueId = targetOf(target.redrive ?? target.onFailure);
    if (queueId !== undefined && resourceOf(template, queueId)?.Type === 'AWS::SQS::Queue') ids.add(queueId);
  }
  return [...ids];
}

/**
 * What must have an alarm: dead-letter queues, consumer queues, functions, stream-fed functions and HTTP APIs (logical IDs).
 * @param {Template} template
 */
export function alarmSubjects(template) {
  /** @type {Set<string>} */
  const consumerQueues = new Set();
  /** @type {Set<string>} */
  const streamFunctions = new Set();
  for (const [, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const source = targetOf(mapping.Properties?.EventSourceArn);
    if (source !== undefined && resourceOf(template, source)?.Type === 'AWS::SQS::Queue') {
      consumerQueues.add(source);
      continue;
    }
    const functionId = functionBehind(template, mapping.Properties?.FunctionName);
    // Every source that is not a queue is read like a stream (DynamoDB, Kinesis, Kafka, MQ): it has an iterator age.
    if (functionId) streamFunctions.add(functionId);
  }
  return {
    deadLetterQueues: deadLetterQueueIds(template),
    consumerQueues: [...consumerQueues],
    functions: resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id),
    streamFunctions: [...streamFunctions],
    httpApis: resourcesOfType(template, 'AWS::ApiGatewayV2::Api')
      .filter(([, api]) => (api.Properties?.ProtocolType ?? 'HTTP') === 'HTTP')
      .map(([id]) => id),
  };
}

/**
 * Whether an alarm whose threshold is `threshold` seconds fires before a message `retention` seconds old expires.
 * @param {number | undefined} threshold
 * @param {number | undefined} retention
 */
const firesBefore = (threshold, retention) => threshold !== undefined && retention !== undefined && threshold < retention;
/**
 * Whether an alarm fires on a single message: "> x" with x < 1, or ">= x" with x <= 1.
 * @param {Resource} alarm
 */
const firesOnOne = (alarm) => {
  const { ComparisonOperator: operator, Threshold } = alarm.Properties ?? {};
  const threshold = literalNumber(Threshold);
  if (threshold === undefined) return false;
  return (operator === 'GreaterThanThreshold' && threshold < 1) || (operator === 'GreaterThanOrEqualToThreshold' && threshold <= 1);
};

/** @param {Template} template */
export function everythingHasAnAlarm(template) {
  const problems = [];
  const resources = template.Resources ?? {};
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => ({ id, alarm, metrics: alarmMetrics(alarm) }));
  /**
   * The alarms watching `metric` of `namespace` for the resource `id`, through the dimension `dimension`.
   * @param {string} id
   * @param {string} namespace
   * @param {string} metric
   * @param {string} dimension
   * @param {Json} [literalName] the resource's name, as an alarm may also spell it
   */
  const watching = (id, namespace, metric, dimension, literalName) =>
    alarms.filter(({ metrics }) =>
      metrics.some(
        (m) => m.namespace === namespace && m.name === metric && m.dimensions.some((d) => d?.Name === dimension && namesResource(d.Value, id, literalName)),
      ),
    );
  const subjects = alarmSubjects(template);

  for (const id of subjects.deadLetterQueues) {
    const name = resources[id]?.Properties?.QueueName;
    const found = watching(id, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', name);
    if (found.length === 0) {
      problems.push(`${id}: dead-letter queue without an alarm on AWS/SQS ApproximateNumberOfMessagesVisible (NumberOfMessagesSent does not count the messages SQS moves there)`);
    } else if (!found.some(({ alarm }) => firesOnOne(alarm))) {
      problems.push(`${id}: the alarms on its ApproximateNumberOfMessagesVisible (${found.map((f) => f.id).join(', ')}) must fire on a single message`);
    }
  }
  for (const id of subjects.consumerQueues) {
    const queue = resources[id]?.Properties ?? {};
    const found = watching(id, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue.QueueName);
    const retention = literalNumber(queue.MessageRetentionPeriod, SQS_DEFAULT_RETENTION);
    if (found.length === 0) {
      problems.push(`${id}: queue feeding a function without an alarm on AWS/SQS ApproximateAgeOfOldestMessage`);
    } else if (!found.some(({ alarm }) => firesBefore(literalNumber(alarm.Properties?.Threshold), retention))) {
      problems.push(`${id}: its ApproximateAgeOfOldestMessage alarms (${found.map((f) => f.id).join(', ')}) must fire before messages expire (${retention} s)`);
    }
  }
  for (const id of subjects.functions) {
    const name = resources[id]?.Properties?.FunctionName;
    for (const metric of ['Errors', 'Throttles']) {
      if (watching(id, 'AWS/Lambda', metric, 'FunctionName', name).length === 0) problems.push(`${id}: function without an alarm on AWS/Lambda ${metric}`);
    }
  }
  for (const id of subjects.streamFunctions) {
    const name = resources[id]?.Properties?.FunctionName;
    if (watching(id, 'AWS/Lambda', 'IteratorAge', 'FunctionName', name).length === 0) problems.push(`${id}: stream-fed function without an alarm on AWS/Lambda IteratorAge`);
  }
  for (const id of subjects.httpApis) {
    if (watching(id, 'AWS/ApiGateway', '5xx', 'ApiId').length === 0) problems.push(`${id}: HTTP API without an alarm on AWS/ApiGateway 5xx`);
  }
  return problems;
}

/**
 * Every alarm notifies the stage's alarm topic (`topicArn`, as the template names it) when it fires and when it clears.
 * @param {Template} template
 * @param {Json} topicArn
 */
export function alarmsNotifyTheAlarmTopic(template, topicArn) {
  const problems = [];
  for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
    const p = alarm.Properties ?? {};
    if (String(p.ActionsEnabled ?? true) !== 'true') problems.push(`${id}: ActionsEnabled is ${show(p.ActionsEnabled)}`);
    for (const actions of ['AlarmActions', 'OKActions']) {
      if (!asArray(p[actions]).some((action) => equal(action, topicArn))) problems.push(`${id}: ${actions} must include the alarm topic ${show(topicArn)}, is ${show(p[actions])}`);
    }
  }
  return problems;
}

/**
 * One composite alarm per service, `<service>-<stage>-health`, ALARM when any
 * of its alarms is: the platform's dashboard lists it by that name.
 * @param {Template} template
 * @param {{ service: string, stage: string }} options
 */
export function healthAlarm(template, { service, stage }) {
  const names = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties?.AlarmName);
  if (names.length === 0) return [];
  const expected = `${service}-${stage}-health`;
  const composite = resourcesOfType(template, 'AWS::CloudWatch::CompositeAlarm').find(([, alarm]) => alarm.Properties?.AlarmName === expected);
  if (!composite) return [`template: no AWS::CloudWatch::CompositeAlarm named ${show(expected)} for the dashboard`];
  const rule = String(composite[1].Properties?.AlarmRule ?? '');
  return names.filter((name) => !rule.includes(`ALARM("${name}")`)).map((name) => `${composite[0]}: AlarmRule leaves out ${show(name)}`);
}

// ---------------------------------------------------------------------------
// Tracing in AWS: every function and topic actively traced, and every traced
// function's role allowed to send its segments.
/** @param {Template} template */
export function activeTracing(template) {
  const problems = [];
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    if (fn.Properties?.TracingConfig?.Mode !== 'Active') {
      problems.push(`${id}: TracingConfig.Mode must be "Active", is ${show(fn.Properties?.TracingConfig?.Mode)}`);
      continue;
    }
    const roleId = targetOf(fn.Properties?.Role);
    const role = resourceOf(template, roleId);
    const allowed = policyStatements({ Resources: roleId !== undefined && role ? { [roleId]: role } : {} })
      .filter(({ statement }) => statement.Effect === 'Allow')
      .flatMap(({ statement }) => asArray(statement.Action));
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
      if (!allowed.includes(action)) problems.push(`${id}: its role ${roleId} does not allow ${action}`);
    }
  }
  for (const [id, topic] of resourcesOfType(template, 'AWS::SNS::Topic')) {
    if (topic.Properties?.TracingConfig !== 'Active') problems.push(`${id}: TracingConfig must be "Active", is ${show(topic.Properties?.TracingConfig)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// The platform stack of a stage holds what operating it needs: the alarm
// topic (that CloudWatch may publish to, exported for the services' alarms,
// with an optional email subscription), the X-Ray policy that lets SNS trace
// topics, and the dashboard with the business metrics and every service's
// health alarm.
export const BUSINESS_METRICS = [
  'OrdersPlaced', 'OrdersConfirmed', 'OrdersRejected', 'OrdersStuckPending', 'StockReserved', 'StockRejected',
  'NotificationsSent', 'EventsPublished', 'RecordsFailed', 'RecordsDeferred', 'ColdStart',
];

/**
 * Whether a policy statement allows the AWS service principal `service` the action `action`.
 * @param {Json} statement
 * @param {string} service
 * @param {string} action
 */
const allowsService = (statement, service, action) =>
  statement.Effect === 'Allow' &&
  asArray(statement.Principal?.Service).includes(service) &&
  asArray(statement.Action).some((/** @type {Json} */ allowed) => allowed === action || (allowed.endsWith('*') && action.startsWith(allowed.slice(0, -1))));

/**
 * @param {Template} template the event bus's
 * @param {{ stage: string, services: string[] }} options `services`: those whose health alarms the dashboard must list
 */
export function platformOperability(template, { stage, services }) {
  const problems = [];
  const topicName = `${EVENT_BUS_SERVICE}-${stage}-alarms`;
  const [topicId, topic] = resourcesOfType(template, 'AWS::SNS::Topic').find(([, t]) => t.Properties?.TopicName === topicName) ?? [];
  if (!topicId || !topic) return [`template: no AWS::SNS::Topic named ${show(topicName)}`];

  const exportName = alarmTopicArn(stage)['Fn::ImportValue'];
  const exported = Object.values(template.Outputs ?? {}).find((output) => output.Export?.Name === exportName);
  if (targetOf(exported?.Value) !== topicId || exported?.Value?.Ref === undefined) problems.push(`Outputs: no export ${show(exportName)} of {"Ref": "${topicId}"}`);

  const statements = resourcesOfType(template, 'AWS::SNS::TopicPolicy')
    .filter(([, policy]) => asArray(policy.Properties?.Topics).some((t) => targetOf(t) === topicId))
    .flatMap(([, policy]) => asArray(parsedJson(policy.Properties?.PolicyDocument)?.Statement));
  const publish = statements.find((statement) => allowsService(statement, 'cloudwatch.amazonaws.com', 'sns:Publish'));
  if (!publish) problems.push(`${topicId}: no topic policy lets cloudwatch.amazonaws.com sns:Publish`);
  else if (publish.Condition?.StringEquals?.['aws:SourceAccount'] === undefined) problems.push(`${topicId}: CloudWatch may publish only on condition aws:SourceAccount`);

  // CloudWatch can publish to an encrypted topic only with a key whose policy lets it use the key.
  const key = topic.Properties?.KmsMasterKeyId;
  if (key !== undefined) {
    const keyResource = resourceOf(template, targetOf(key));
    const keyStatements = keyResource?.Type === 'AWS::KMS::Key' ? asArray(parsedJson(keyResource.Properties?.KeyPolicy)?.Statement) : [];
    const usable = ['kms:GenerateDataKey', 'kms:Decrypt'].every((action) => keyStatements.some((s) => allowsService(s, 'cloudwatch.amazonaws.com', action)));
    if (!usable) problems.push(`${topicId}: KmsMasterKeyId ${show(key)} must be a key of this template whose policy lets cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt (the AWS managed alias/aws/sns cannot)`);
  }

  const emails = resourcesOfType(template, 'AWS::SNS::Subscription').filter(([, s]) => targetOf(s.Properties?.TopicArn) === topicId && s.Properties?.Protocol === 'email');
  if (emails.length === 0) problems.push(`${topicId}: no email subscription`);
  for (const [id, subscription] of emails) {
    if (!subscription.Condition) problems.push(`${id}: the email subscription must have a Condition (none when the stage has no address)`);
  }

  /**
   * A policy document given as a JSON string (or an Fn::Sub of one), with what only exists at deploy time blanked out.
   * @param {Json} value
   * @returns {Json}
   */
  const documentOf = (value) => {
    try {
      return JSON.parse((textOf(value, '')?.text ?? '').replace(/\$\{[^}]*\}/g, 'x'));
    } catch {
      return undefined;
    }
  };
  const xray = resourcesOfType(template, 'AWS::XRay::ResourcePolicy').some(([, policy]) =>
    asArray(documentOf(policy.Properties?.PolicyDocument)?.Statement).some((s) => allowsService(s, 'sns.amazonaws.com', 'xray:PutTraceSegments')),
  );
  if (!xray) problems.push('template: no AWS::XRay::ResourcePolicy lets sns.amazonaws.com xray:PutTraceSegments (active tracing on topics)');

  const name = `${EVENT_BUS_SERVICE}-${stage}`;
  const [dashboardId, dashboard] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard').find(([, d]) => d.Properties?.DashboardName === name) ?? [];
  if (!dashboardId || !dashboard) return [...problems, `template: no AWS::CloudWatch::Dashboard named ${show(name)}`];
  const body = textOf(dashboard.Properties?.DashboardBody, '')?.text ?? '';
  for (const wanted of [`Platform/${stage}`, ...BUSINESS_METRICS]) {
    if (!body.includes(wanted)) problems.push(`${dashboardId}: its body does not show ${show(wanted)}`);
  }
  for (const service of services) {
    if (!body.includes(`:alarm:${service}-${stage}-health"`)) problems.push(`${dashboardId}: its body does not list ${service}'s health alarm ${show(`${service}-${stage}-health`)}`);
  }
  return problems;
}

/** @param {Resource | undefined} resource */
const retained = (resource) =>
  resource !== undefined && resource.DeletionPolicy === 'Retain' && resource.UpdateReplacePolicy === 'Retain';
/** An environment variable whose name says it holds a secret, rather than where to find one. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PRIVATE_KEY|TOKEN|API_KEY)(?!.*_(ARN|NAME|ID|URL)$)/i;

/**
 * Production data protection (issue 13): every table, DLQ and secret survives
 * a stack deletion or replacement (DeletionPolicy and UpdateReplacePolicy
 * Retain); tables keep point-in-time recovery; every SNS topic is encrypted
 * with KMS; every HTTP API stage writes access logs; no function holds a
 * secret in a plaintext environment variable, or a setting of the local
 * stack's (LOCAL_*, e.g. the fault injection of `npm run faults`).
 * @param {Template} template
 */
export function dataProtection(template) {
  const problems = [];
  const resources = template.Resources ?? {};
  for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    if (!retained(table)) problems.push(`${id}: a table needs DeletionPolicy and UpdateReplacePolicy Retain`);
    if (table.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled !== true) problems.push(`${id}: a table needs point-in-time recovery`);
  }
  for (const id of deadLetterQueueIds(template)) {
    if (!retained(resources[id])) problems.push(`${id}: a dead-letter queue needs DeletionPolicy and UpdateReplacePolicy Retain`);
  }
  for (const [id, secret] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
    if (!retained(secret)) problems.push(`${id}: a secret needs DeletionPolicy and UpdateReplacePolicy Retain`);
  }
  for (const [id, topic] of resourcesOfType(template, 'AWS::SNS::Topic')) {
    if (topic.Properties?.KmsMasterKeyId === undefined) problems.push(`${id}: a topic needs KmsMasterKeyId (server-side encryption)`);
  }
  for (const [id, stage] of resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')) {
    const logs = stage.Properties?.AccessLogSettings;
    if (!logs?.DestinationArn || !logs?.Format) problems.push(`${id}: an HTTP API stage needs AccessLogSettings (DestinationArn and Format)`);
  }
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    for (const name of Object.keys(fn.Properties?.Environment?.Variables ?? {})) {
      if (SECRET_NAME.test(name)) problems.push(`${id}: environment variable ${name} looks like a secret in plaintext; pass where to read it (e.g. ${name}_ARN)`);
      if (name.startsWith('LOCAL_')) problems.push(`${id}: environment variable ${name} is a local stack setting`);
    }
  }
  return problems;
}

/**
 * The bus topic (event-bus stack): encrypted, and only the producers' roles
 * may publish. A Deny for every principal whose ARN is not one of
 * `producers`' roles, which no identity policy in the account can override.
 * @param {Template} template the event bus's
 * @param {{ stage: string, producers: string[] }} options
 */
export function busPublishersOnly(template, { stage, producers }) {
  const [topicId, topic] = resourcesOfType(template, 'AWS::SNS::Topic').find(([, t]) => t.Properties?.TopicName === `${EVENT_BUS_SERVICE}-${stage}-domain-events`) ?? [];
  if (!topicId || !topic) return [`template: no bus topic ${show(`${EVENT_BUS_SERVICE}-${stage}-domain-events`)}`];
  const problems = [];
  if (topic.Properties?.KmsMasterKeyId === undefined) problems.push(`${topicId}: the bus carries customer emails; it needs KmsMasterKeyId`);
  const statements = resourcesOfType(template, 'AWS::SNS::TopicPolicy')
    .filter(([, policy]) => asArray(policy.Properties?.Topics).some((t) => targetOf(t) === topicId))
    .flatMap(([, policy]) => asArray(parsedJson(policy.Properties?.PolicyDocument)?.Statement));
  const deny = statements.find((s) => s.Effect === 'Deny' && s.Principal === '*' && asArray(s.Action).includes('sns:Publish'));
  if (!deny) return [...problems, `${topicId}: no topic policy denies sns:Publish to every principal but the producers' roles`];
  const allowed = asArray(deny.Condition?.ArnNotLike?.['aws:PrincipalArn']).map((arn) => textOf(arn, '')?.text ?? show(arn));
  const expected = producers.map((service) => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${service}-${stage}-*`);
  if (show([...allowed].sort()) !== show([...expected].sort())) problems.push(`${topicId}: publishers ${show(allowed)}, expected the producers' roles ${show(expected)}`);
  return problems;
}

// ---------------------------------------------------------------------------
// Every physical name within AWS's limit on it: IAM role and Lambda function
// names 64, SQS queue names 80, SNS topics 256, DynamoDB tables 255, alarms
// 255, log groups 512, secrets 512, the stack's name 128, its exports, ...
// (infra/serverless/lib/stage-names.cjs NAME_LIMITS, each with the AWS page
// that states it). A name over its limit fails the deploy half-way through,
// in CloudFormation, or (role names) in a plugin that shortened it silently.
/**
 * @param {Template} template
 * @param {{ stackName: string, region: string }} where the stack's name (`<service>-<stage>`) and region
 */
export function namesWithinLimits(template, { stackName, region }) {
  return stageNames.namesOverLimit(stageNames.templateNames(template, { stackName, region }));
}

/**
 * The longest stage with which every name of `template` (compiled for
 * `stage`) would still fit, and the name that decides it.
 * @param {Template} template
 * @param {{ service: string, stage: string, region: string }} of
 */
export function longestStageOf(template, { service, stage, region }) {
  return stageNames.longestStage(stageNames.templateNames(template, { stackName: `${service}-${stage}`, region }), stage);
}

// ---------------------------------------------------------------------------
// S3 buckets (issue 20). Every AWS::S3::Bucket of any service's template is
// private, encrypted, TLS-only, retained, and talks to the rest of the stack
// only through SQS. These are platform rules: they know no bucket, prefix or
// function by name. What a service's functions may do on its buckets is the
// service's to declare (services/<service>/template-expectations.json, read by
// the test and held to by declaredS3Grants below).

/** The CORS methods a bucket may allow: a browser POSTs a presigned form and GETs a presigned URL. */
export const BUCKET_CORS_METHODS = ['GET', 'POST'];
/** The longest an incomplete multipart upload may live, in days. */
export const ABORT_MULTIPART_DAYS = 1;
/** The framework's deployment bucket, when a stack has its own (no provider.deploymentBucket). */
export const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';
const PUBLIC_ACCESS_BLOCK_FLAGS = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];

/**
 * A bucket's ARN as a template spells it, reduced to `${<BucketId>.Arn}` for
 * `{"Fn::GetAtt": [id, "Arn"]}`, `arn:${AWS::Partition}:s3:::${id}` and
 * `arn:aws:s3:::${id}` alike; a literal name stays as it is.
 * @param {Json} value
 */
const s3ArnText = (value) => {
  const text = textOf(value, '')?.text ?? placeholder(value);
  return text.replace(/^arn:(?:aws|\$\{AWS::Partition\}):s3:::\$\{([A-Za-z0-9]+)\}/, '${$1.Arn}');
};

/**
 * Whether `text`, a bucket ARN as s3ArnText spells it (with an optional
 * `/<key>` after it), is in the bucket `id`, whose name is `name` (its
 * BucketName's text, when it has one). Returns the key part ('' for the
 * bucket itself), or undefined when it is another bucket.
 * @param {string} text
 * @param {string} id
 * @param {string | undefined} name
 * @returns {string | undefined}
 */
const keyInBucket = (text, id, name) => {
  for (const head of [`\${${id}.Arn}`, ...(name === undefined ? [] : [`arn:aws:s3:::${name}`, `arn:\${AWS::Partition}:s3:::${name}`])]) {
    if (text === head) return '';
    if (text.startsWith(`${head}/`)) return text.slice(head.length);
  }
  return undefined;
};

/**
 * The template's buckets, each with the text of its name (undefined when it has none, or one known only at deploy time).
 * @param {Template} template
 */
const bucketsOf = (template) =>
  resourcesOfType(template, 'AWS::S3::Bucket').map(([id, bucket]) => ({ id, bucket, name: textOf(bucket.Properties?.BucketName, '')?.text }));

/**
 * The settings every bucket keeps: all four Block Public Access flags on;
 * SSE-S3 (AES256) or SSE-KMS with a key named; a bucket policy that denies
 * s3:* without TLS on the bucket and its objects (and allows nobody
 * everybody); CORS rules that allow only GET and POST, from the stage's
 * origins (`corsOrigins`, as base.cjs gives them to the HTTP APIs) and never
 * from "*" but on the local stage; a lifecycle rule that aborts incomplete
 * multipart uploads within a day, for the whole bucket; DeletionPolicy and
 * UpdateReplacePolicy Retain; no ACL (AccessControl) and ObjectOwnership
 * BucketOwnerEnforced, so that ACLs are off.
 * @param {Template} template
 * @param {{ stage: string, corsOrigins: string[], local?: boolean }} options
 */
export function bucketSettings(template, { stage, corsOrigins, local = stage === 'local' }) {
  const problems = [];
  const bucketPolicies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
  for (const { id, bucket, name } of bucketsOf(template)) {
    const p = bucket.Properties ?? {};
    // The framework's deployment bucket holds a stack's packages, not data: `serverless
    // remove` deletes it with its stack, and nothing else reads it. It is held to
    // encryption and TLS only (below); the rest is for the buckets a service declares.
    const deployment = id === DEPLOYMENT_BUCKET;
    if (!deployment && !retained(bucket)) problems.push(`${id}: a bucket needs DeletionPolicy and UpdateReplacePolicy Retain`);

    const block = p.PublicAccessBlockConfiguration ?? {};
    const off = PUBLIC_ACCESS_BLOCK_FLAGS.filter((flag) => String(block[flag]) !== 'true');
    if (!deployment && off.length > 0) problems.push(`${id}: PublicAccessBlockConfiguration must set ${off.join(', ')} to true`);

    if (p.AccessControl !== undefined) problems.push(`${id}: AccessControl ${show(p.AccessControl)}: a bucket has no ACL (ObjectOwnership BucketOwnerEnforced turns ACLs off)`);
    const ownership = asArray(p.OwnershipControls?.Rules).map((rule) => rule?.ObjectOwnership);
    if (!deployment && (ownership.length !== 1 || ownership[0] !== 'BucketOwnerEnforced')) problems.push(`${id}: OwnershipControls must be one rule ObjectOwnership "BucketOwnerEnforced", is ${show(p.OwnershipControls)}`);

    const encryption = asArray(p.BucketEncryption?.ServerSideEncryptionConfiguration);
    if (encryption.length === 0) problems.push(`${id}: BucketEncryption must set SSE-S3 (AES256) or SSE-KMS`);
    for (const [i, rule] of encryption.entries()) {
      const { SSEAlgorithm: algorithm, KMSMasterKeyID: key } = rule?.ServerSideEncryptionByDefault ?? {};
      if (algorithm === 'AES256') continue;
      if (algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse') {
        if (key === undefined) problems.push(`${id}: BucketEncryption rule ${i}: ${algorithm} needs a KMSMasterKeyID (a key of ours, not the AWS managed aws/s3)`);
        continue;
      }
      problems.push(`${id}: BucketEncryption rule ${i}: SSEAlgorithm ${show(algorithm)} must be "AES256" or "aws:kms"`);
    }

    // TLS only: a Deny of s3:* on the bucket and its objects when aws:SecureTransport is false.
    const statements = bucketPolicies
      .filter(([, policy]) => {
        const target = policy.Properties?.Bucket;
        return targetOf(target) === id || (name !== undefined && textOf(target, '')?.text === name);
      })
      .flatMap(([policyId, policy]) => asArray(parsedJson(policy.Properties?.PolicyDocument)?.Statement).map((statement, i) => ({ where: `${policyId}/PolicyDocument/Statement/${i}`, statement })));
    const tlsOnly = statements.some(({ statement: s }) => {
      if (s?.Effect !== 'Deny' || !(s.Principal === '*' || s.Principal?.AWS === '*')) return false;
      if (!asArray(s.Action).includes('s3:*')) return false;
      const secure = s.Condition?.Bool?.['aws:SecureTransport'];
      if (String(secure) !== 'false') return false;
      const keys = asArray(s.Resource).map((resource) => keyInBucket(s3ArnText(resource), id, name));
      return keys.includes('') && keys.includes('/*');
    });
    if (!tlsOnly) problems.push(`${id}: no bucket policy denies "s3:*" on the bucket and its objects ("<arn>" and "<arn>/*") when aws:SecureTransport is "false"`);
    for (const { where, statement: s } of statements) {
      const everyone = s?.Principal === '*' || asArray(s?.Principal?.AWS).includes('*');
      if (s?.Effect === 'Allow' && everyone) problems.push(`${where}: a bucket policy allows nobody everybody (Principal "*")`);
    }

    const corsRules = asArray(p.CorsConfiguration?.CorsRules);
    for (const [i, rule] of corsRules.entries()) {
      const methods = asArray(rule?.AllowedMethods);
      const others = methods.filter((method) => !BUCKET_CORS_METHODS.includes(method));
      if (others.length > 0) problems.push(`${id}: CorsRules/${i}: AllowedMethods ${show(methods)}: only ${BUCKET_CORS_METHODS.join(' and ')} (a presigned POST and a presigned GET)`);
      const origins = asArray(rule?.AllowedOrigins);
      if (!local && origins.some((origin) => typeof origin === 'string' && origin.includes('*'))) {
        problems.push(`${id}: CorsRules/${i}: AllowedOrigins ${show(origins)}: no "*" on stage ${show(stage)}`);
      } else if (show([...origins].sort()) !== show([...corsOrigins].sort())) {
        problems.push(`${id}: CorsRules/${i}: AllowedOrigins ${show(origins)} must be the stage's CORS origins ${show(corsOrigins)}`);
      }
    }

    const abort = asArray(p.LifecycleConfiguration?.Rules).some((rule) => {
      if (rule?.Status !== 'Enabled') return false;
      const days = literalNumber(rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation);
      const wholeBucket = (rule.Prefix ?? '') === '' && rule.TagFilters === undefined && rule.ObjectSizeGreaterThan === undefined && rule.ObjectSizeLessThan === undefined;
      return days !== undefined && days >= 1 && days <= ABORT_MULTIPART_DAYS && wholeBucket;
    });
    if (!deployment && !abort) problems.push(`${id}: LifecycleConfiguration needs an enabled rule for the whole bucket with AbortIncompleteMultipartUpload DaysAfterInitiation <= ${ABORT_MULTIPART_DAYS}`);
  }
  return problems;
}

/**
 * The SQS queues (logical IDs) a bucket of this template sends its notifications to.
 * @param {Template} template
 */
export function bucketNotificationQueueIds(template) {
  return [
    ...new Set(
      bucketsOf(template).flatMap(({ bucket }) =>
        asArray(bucket.Properties?.NotificationConfiguration?.QueueConfigurations)
          .map((configuration) => targetOf(configuration?.Queue))
          .filter((queueId) => resourceOf(template, queueId)?.Type === 'AWS::SQS::Queue'),
      ),
    ),
  ];
}

/**
 * A bucket's notifications go to SQS queues of this template only (never
 * straight to a function, a topic or EventBridge; no function lets S3 invoke
 * it), each queue with a dead-letter queue (RedrivePolicy), and a queue
 * policy that lets only s3.amazonaws.com sqs:SendMessage, on condition
 * ArnEquals aws:SourceArn the bucket's ARN and StringEquals
 * aws:SourceAccount.
 * @param {Template} template
 */
export function bucketNotifications(template) {
  const problems = [];
  for (const { id, bucket, name } of bucketsOf(template)) {
    const n = bucket.Properties?.NotificationConfiguration ?? {};
    if (asArray(n.LambdaConfigurations).length > 0) problems.push(`${id}: NotificationConfiguration/LambdaConfigurations: a bucket notifies an SQS queue with a DLQ, never a function directly`);
    if (asArray(n.TopicConfigurations).length > 0) problems.push(`${id}: NotificationConfiguration/TopicConfigurations: a bucket notifies SQS queues only`);
    if (String(n.EventBridgeConfiguration?.EventBridgeEnabled) === 'true') problems.push(`${id}: NotificationConfiguration/EventBridgeConfiguration: a bucket notifies SQS queues only`);
    for (const [i, configuration] of asArray(n.QueueConfigurations).entries()) {
      const where = `${id}: NotificationConfiguration/QueueConfigurations/${i}`;
      const queueId = targetOf(configuration?.Queue);
      const queue = resourceOf(template, queueId);
      if (queueId === undefined || queue?.Type !== 'AWS::SQS::Queue') {
        problems.push(`${where}: Queue ${show(configuration?.Queue)} must be an AWS::SQS::Queue of this template`);
        continue;
      }
      if (parsedJson(queue.Properties?.RedrivePolicy)?.deadLetterTargetArn === undefined) problems.push(`${queueId}: notified by ${id}, it needs a RedrivePolicy to a dead-letter queue`);
      const statements = resourcesOfType(template, 'AWS::SQS::QueuePolicy')
        .filter(([, policy]) => asArray(policy.Properties?.Queues).some((q) => targetOf(q) === queueId))
        .flatMap(([policyId, policy]) => asArray(parsedJson(policy.Properties?.PolicyDocument)?.Statement).map((statement, j) => ({ where: `${policyId}/PolicyDocument/Statement/${j}`, statement })));
      const allows = statements.filter(({ statement }) => statement?.Effect === 'Allow');
      if (allows.length === 0) problems.push(`${queueId}: no queue policy lets ${id} (s3.amazonaws.com) send to it`);
      for (const { where: at, statement: s } of allows) {
        const actions = asArray(s.Action);
        if (s.NotAction !== undefined || actions.length !== 1 || String(actions[0]).toLowerCase() !== 'sqs:sendmessage') problems.push(`${at}: must allow only sqs:SendMessage, allows ${show(s.Action ?? { NotAction: s.NotAction })}`);
        const services = isObject(s.Principal) && Object.keys(s.Principal).length === 1 ? asArray(s.Principal.Service) : [];
        if (s.NotPrincipal !== undefined || services.length !== 1 || services[0] !== 's3.amazonaws.com') problems.push(`${at}: principal must be only {"Service": "s3.amazonaws.com"}, is ${show(s.Principal ?? { NotPrincipal: s.NotPrincipal })}`);
        const sourceArns = asArray(s.Condition?.ArnEquals?.['aws:SourceArn'] ?? s.Condition?.ArnLike?.['aws:SourceArn']);
        if (sourceArns.length !== 1 || keyInBucket(s3ArnText(sourceArns[0]), id, name) !== '') problems.push(`${at}: Condition must be ArnEquals aws:SourceArn the ARN of ${id}, is ${show(s.Condition?.ArnEquals ?? s.Condition)}`);
        const account = s.Condition?.StringEquals?.['aws:SourceAccount'];
        if (!equal(account, { Ref: 'AWS::AccountId' }) && !(typeof account === 'string' && /^\d{12}$/.test(account))) problems.push(`${at}: Condition must be StringEquals aws:SourceAccount {"Ref": "AWS::AccountId"}, is ${show(s.Condition?.StringEquals)}`);
      }
    }
  }
  for (const [id, permission] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
    if (permission.Properties?.Principal === 's3.amazonaws.com') problems.push(`${id}: lets S3 invoke a function directly; a bucket notifies an SQS queue with a DLQ`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// S3 grants in functions' roles. The platform's rules: no S3 action with a
// wildcard (s3:*, s3:Get*, s3:*Object), no S3 resource that is "*", a whole
// bucket's objects ("<bucket>/*", no prefix) or a whole account's buckets,
// and no bucket-level action (ListBucket, PutBucket*, ...) that the service
// has not declared. The service declares exactly what each function may do on
// which prefix of which bucket (services/<service>/template-expectations.json,
// `s3Grants`), and declaredS3Grants holds its template to that, both ways.

/** S3 actions on objects (the rest act on a bucket, an account or a job). @param {string} action */
const isObjectAction = (action) => /^s3:(\w*Object\w*|AbortMultipartUpload|ListMultipartUploadParts)$/i.test(action);

/**
 * A function's S3 grants from its role: `<bucket id>` -> `<key pattern>` -> actions ('' for the bucket itself; '?' when the bucket is none of the template's).
 * @typedef {{ fn: string, where: string, action: string, bucket: string, key: string, resource: Json }} S3Grant
 * @param {Template} template
 * @returns {S3Grant[]}
 */
export function s3GrantsOf(template) {
  /** @type {S3Grant[]} */
  const grants = [];
  const buckets = bucketsOf(template);
  for (const [fn, definition] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const roleId = targetOf(definition.Properties?.Role);
    const role = resourceOf(template, roleId);
    if (roleId === undefined || !role) continue;
    for (const { where, statement } of policyStatements({ Resources: { [roleId]: role } })) {
      if (statement?.Effect !== 'Allow') continue;
      const actions = asArray(statement.Action).filter((action) => typeof action === 'string' && action.toLowerCase().startsWith('s3:'));
      for (const action of actions) {
        for (const resource of asArray(statement.Resource)) {
          const text = resource === '*' ? '*' : s3ArnText(resource);
          const found = buckets.map((b) => ({ id: b.id, key: keyInBucket(text, b.id, b.name) })).find((b) => b.key !== undefined);
          grants.push({ fn, where, action, bucket: found?.id ?? '?', key: found ? String(found.key).replace(/^\//, '') : text, resource });
        }
      }
    }
  }
  return grants;
}

/**
 * What a service declares its functions may do on its buckets: per function
 * (its key in serverless.yml), per bucket (logical ID), per key pattern
 * ("uploads/*"; "" for the bucket itself), the S3 actions.
 * @typedef {{ [fn: string]: { [bucket: string]: { [key: string]: string[] } } }} DeclaredS3Grants
 */

/**
 * The platform's S3 rules on every function's role (see above). `declared`
 * lets bucket-level actions through where the service declares them.
 * @param {Template} template
 * @param {{ declared?: DeclaredS3Grants, service?: string, stage?: string }} [options]
 */
export function s3GrantRules(template, { declared = {}, service, stage } = {}) {
  const problems = [];
  const keyOf = functionKeyOf(template, { service, stage });
  for (const { fn, where, action, bucket, key, resource } of s3GrantsOf(template)) {
    if (/[*?]/.test(action)) problems.push(`${where}: Action ${show(action)}: no wildcard in an S3 action; name each one`);
    if (resource === '*') problems.push(`${where}: ${action} on Resource "*": name the bucket and the prefix`);
    else if (bucket === '?') problems.push(`${where}: ${action} on ${show(resource)}, which is no bucket of this template`);
    else if (key === '*' || /^\*/.test(key)) problems.push(`${where}: ${action} on every object of ${bucket} (${show(key)}): grant a prefix, e.g. "uploads/*"`);
    else if (key === '' && isObjectAction(action)) problems.push(`${where}: ${action} is an object action, on the bucket ${bucket} itself`);
    if (!isObjectAction(action) && !/[*?]/.test(action)) {
      const fnKey = keyOf(fn);
      const allowed = asArray(declared[fnKey]?.[bucket]?.[key]).includes(action);
      if (!allowed) problems.push(`${where}: ${action} is a bucket-level action, which ${fnKey}'s declared grants do not name`);
    }
  }
  return problems;
}

/**
 * How a function's logical ID maps to its key in serverless.yml: its
 * FunctionName less `<service>-<stage>-`, or else the logical ID less
 * "LambdaFunction" with a lowercase first letter (what the framework makes of a key).
 * @param {Template} template
 * @param {{ service?: string, stage?: string }} of
 */
const functionKeyOf = (template, { service, stage }) => (/** @type {string} */ id) => {
  const name = resourceOf(template, id)?.Properties?.FunctionName;
  const prefix = `${service}-${stage}-`;
  if (service !== undefined && typeof name === 'string' && name.startsWith(prefix)) return name.slice(prefix.length);
  const bare = id.replace(/LambdaFunction$/, '');
  return bare.charAt(0).toLowerCase() + bare.slice(1);
};

/**
 * Exactly the S3 grants the service declares: every function's S3 actions,
 * per bucket and key pattern, are the declared ones, no more (an extra action,
 * prefix or bucket) and no fewer (a declared grant the template lacks); a
 * function the declaration leaves out may have none.
 * @param {Template} template
 * @param {{ declared: DeclaredS3Grants, service: string, stage: string }} options
 */
export function declaredS3Grants(template, { declared, service, stage }) {
  const problems = [];
  const keyOf = functionKeyOf(template, { service, stage });
  /** @type {Map<string, Set<string>>} "<fn key>\t<bucket>\t<key>" -> actions */
  const actual = new Map();
  for (const { fn, action, bucket, key } of s3GrantsOf(template)) {
    const at = `${keyOf(fn)}\t${bucket}\t${key}`;
    actual.set(at, new Set([...(actual.get(at) ?? []), action]));
  }
  const functionKeys = new Set(resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => keyOf(id)));
  /** @type {Map<string, Set<string>>} */
  const expected = new Map();
  for (const [fnKey, buckets] of Object.entries(declared ?? {})) {
    if (!functionKeys.has(fnKey)) problems.push(`${fnKey}: declared S3 grants for a function the template does not have`);
    for (const [bucket, keys] of Object.entries(buckets ?? {})) {
      if (resourceOf(template, bucket)?.Type !== 'AWS::S3::Bucket') problems.push(`${fnKey}: declared S3 grants on ${bucket}, which is no AWS::S3::Bucket of the template`);
      for (const [key, actions] of Object.entries(keys ?? {})) expected.set(`${fnKey}\t${bucket}\t${key}`, new Set(asArray(actions)));
    }
  }
  for (const at of new Set([...actual.keys(), ...expected.keys()])) {
    const [fnKey, bucket, key] = at.split('\t');
    const has = actual.get(at) ?? new Set();
    const wants = expected.get(at) ?? new Set();
    const extra = [...has].filter((action) => !wants.has(action)).sort();
    const missing = [...wants].filter((action) => !has.has(action)).sort();
    const on = `${bucket === '?' ? 'a bucket not in the template' : bucket} ${show(key)}`;
    if (extra.length > 0) problems.push(`${fnKey}: ${extra.join(', ')} on ${on} is not declared (the service's template-expectations.json s3Grants)`);
    if (missing.length > 0) problems.push(`${fnKey}: declared ${missing.join(', ')} on ${on}, which its role does not grant`);
  }
  return problems;
}
