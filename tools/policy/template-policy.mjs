// Our deployment rules for a packaged CloudFormation template (what
// `serverless package` writes to .serverless/). Each rule takes the parsed
// template and returns its problems as "<LogicalId>: <what is wrong>"
// strings: an empty list means the template keeps the rule.
// cfn-check.cjs checks that CloudFormation would accept the template; these
// check that we would.
import cfnCheck from './cfn-check.cjs';

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const asArray = (value) => (value === undefined ? [] : [value].flat());
const show = (value) => JSON.stringify(value);
const resourcesOfType = (template, type) =>
  Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
/** The logical ID that { Ref: id } or { "Fn::GetAtt": [id, attribute] } points at, if the value is one of those. */
const targetOf = (value) => {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};
/** A literal number (CloudFormation also takes numeric strings); undefined for an intrinsic. */
const literalNumber = (value, fallback) => {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
};
/** Properties that are JSON may also be given as a JSON string. */
const parsedJson = (value) => (typeof value === 'string' ? JSON.parse(value) : value);

// AWS defaults, for properties a template leaves out.
const LAMBDA_DEFAULT_TIMEOUT = 3;
const SQS_DEFAULT_VISIBILITY_TIMEOUT = 30;
const SQS_DEFAULT_RETENTION = 345_600; // 4 days

// ---------------------------------------------------------------------------
// One IAM role per function: a function's role holds exactly what that
// function needs, and no role holds permissions for nobody (the framework's
// shared default role, IamRoleLambdaExecution, is such a role once every
// function has its own).
export function oneRolePerFunction(template) {
  const problems = [];
  const users = new Map(resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => [id, []]));
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const role = fn.Properties?.Role;
    const getAtt = isObject(role) ? role['Fn::GetAtt'] : undefined;
    const [roleId, attribute] = Array.isArray(getAtt) ? getAtt : typeof getAtt === 'string' ? getAtt.split('.') : [];
    if (!users.has(roleId) || attribute !== 'Arn') {
      problems.push(`${id}: Role must be {"Fn::GetAtt": [<an AWS::IAM::Role of this template>, "Arn"]}, is ${show(role)}`);
    } else {
      users.get(roleId).push(id);
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
const POLICY_DOCUMENTS = {
  'AWS::IAM::Role': (p) => [
    ['AssumeRolePolicyDocument', p.AssumeRolePolicyDocument],
    ...asArray(p.Policies).map((policy, i) => [`Policies/${i}`, policy?.PolicyDocument]),
  ],
  'AWS::IAM::Policy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::IAM::ManagedPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::SQS::QueuePolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::SNS::TopicPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
  'AWS::S3::BucketPolicy': (p) => [['PolicyDocument', p.PolicyDocument]],
};

/** Every statement of every policy document in the template, with where it is ("<LogicalId>/<path>"). */
export function policyStatements(template) {
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

const isWildcardAction = (action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
// CloudWatch Logs and X-Ray actions are the ones that may (or must) name every resource.
const mayUseAnyResource = (action) => typeof action === 'string' && /^(logs|xray):/i.test(action);

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
// An SQS queue that feeds a function keeps a received message invisible for
// at least 6 x the function's timeout (AWS's advice), or a batch still being
// processed, or retried after throttling, is handed out a second time.
/** The AWS::Lambda::Function a FunctionName points at, through an alias or version if need be. */
const functionBehind = (template, value) => {
  let id = targetOf(value);
  for (let hops = 0; hops < 3 && id; hops++) {
    const resource = template.Resources?.[id];
    if (resource?.Type === 'AWS::Lambda::Function') return id;
    if (!['AWS::Lambda::Alias', 'AWS::Lambda::Version'].includes(resource?.Type)) return undefined;
    id = targetOf(resource.Properties?.FunctionName);
  }
  return undefined;
};

export function sqsVisibilityTimeout(template) {
  const problems = [];
  for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const source = mapping.Properties?.EventSourceArn;
    const queueId = targetOf(source);
    const queue = template.Resources?.[queueId];
    if (queue?.Type !== 'AWS::SQS::Queue') {
      if (!queue && show(source ?? '').includes(':sqs:')) problems.push(`${id}: SQS event source ${show(source)} is not in this template, so its VisibilityTimeout cannot be checked`);
      continue;
    }
    const functionId = functionBehind(template, mapping.Properties?.FunctionName);
    if (!functionId) {
      problems.push(`${id}: FunctionName ${show(mapping.Properties?.FunctionName)} is no function of this template`);
      continue;
    }
    const timeout = literalNumber(template.Resources[functionId].Properties?.Timeout, LAMBDA_DEFAULT_TIMEOUT);
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
// Dead-letter queues keep a message for the longest SQS allows (14 days), so
// there is time to notice, fix and redrive; a message gets 3 tries before
// it is dead-lettered.
export const DLQ_RETENTION_SECONDS = 1_209_600;
export const MAX_RECEIVE_COUNT = 3;

/**
 * Where dead letters go, by resource type. A RedrivePolicy always names a
 * queue (`redrive`); an on-failure destination may also be a topic or bucket.
 */
const DEAD_LETTER_TARGETS = {
  'AWS::SQS::Queue': (p) => ({ redrive: parsedJson(p.RedrivePolicy)?.deadLetterTargetArn }),
  'AWS::SNS::Subscription': (p) => ({ redrive: parsedJson(p.RedrivePolicy)?.deadLetterTargetArn }),
  'AWS::Lambda::EventSourceMapping': (p) => ({ onFailure: p.DestinationConfig?.OnFailure?.Destination }),
  'AWS::Lambda::EventInvokeConfig': (p) => ({ onFailure: p.DestinationConfig?.OnFailure?.Destination }),
  'AWS::Lambda::Function': (p) => ({ onFailure: p.DeadLetterConfig?.TargetArn }),
};

export function deadLetterQueues(template) {
  const problems = [];
  const resources = template.Resources ?? {};
  const deadLetterQueues = new Map(); // queue id -> ids of the resources that send it dead letters
  for (const [id, resource] of Object.entries(resources)) {
    const targets = DEAD_LETTER_TARGETS[resource.Type];
    if (!targets) continue;
    let target;
    try {
      target = targets(resource.Properties ?? {});
    } catch (error) {
      problems.push(`${id}: RedrivePolicy is not valid JSON (${error.message})`);
      continue;
    }
    const arn = target.redrive ?? target.onFailure;
    if (arn === undefined) continue;
    const queueId = targetOf(arn);
    if (resources[queueId]?.Type === 'AWS::SQS::Queue') {
      deadLetterQueues.set(queueId, [...(deadLetterQueues.get(queueId) ?? []), id]);
    } else if (!resources[queueId] && (target.redrive !== undefined || show(arn).includes(':sqs:'))) {
      problems.push(`${id}: dead-letter queue ${show(arn)} is not in this template, so its retention cannot be checked`);
    }
    if (resource.Type === 'AWS::SQS::Queue' && resource.Properties?.RedrivePolicy !== undefined) {
      const count = literalNumber(parsedJson(resource.Properties.RedrivePolicy).maxReceiveCount);
      if (count !== MAX_RECEIVE_COUNT) problems.push(`${id}: RedrivePolicy maxReceiveCount is ${show(count)}, must be ${MAX_RECEIVE_COUNT}`);
    }
  }
  for (const [queueId, senders] of deadLetterQueues) {
    const retention = literalNumber(resources[queueId].Properties?.MessageRetentionPeriod, SQS_DEFAULT_RETENTION);
    if (retention !== DLQ_RETENTION_SECONDS) {
      problems.push(`${queueId}: dead-letter queue (of ${senders.join(', ')}) has MessageRetentionPeriod ${show(retention)}, must be ${DLQ_RETENTION_SECONDS} (14 days)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// A queue policy lets exactly one thing in: SNS delivering from the
// domain-events topic. `topicArn` is how this template names that topic,
// e.g. { "Fn::ImportValue": "event-bus-dev-DomainEventsTopicArn" } (see eventBusTopicArn).
const equal = (a, b) => show(a) === show(b);

export function queuePoliciesAllowOnlyTheTopic(template, topicArn) {
  const problems = [];
  for (const { where, statement } of policyStatements(template)) {
    const id = where.split('/')[0];
    if (template.Resources[id].Type !== 'AWS::SQS::QueuePolicy') continue;
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
// Every function on Node.js 22 or newer (the same rule cfn-check applies).
export function nodeRuntimes(template) {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) =>
    cfnCheck.runtimeProblems(fn.Properties).map((problem) => `${id}: ${problem}`),
  );
}

/** Each function's zip, by the file name at the end of its Code.S3Key (what osls uploads from .serverless/). */
export function functionZips(template) {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => {
    const key = fn.Properties?.Code?.S3Key;
    return { id, zip: typeof key === 'string' ? key.split('/').pop() : undefined };
  });
}

// ---------------------------------------------------------------------------
// Each service owns its data. Its template names only its own tables, queues,
// topics and exports; it reaches the other services through the event bus
// alone, so the one name from elsewhere it may hold is the bus topic: as the
// bus's export, or as the topic's name in a literal ARN (the local stage).
// A grant on another service's table, a subscription of another service's
// queue or an import of another stack's output couples the two deploys (an
// export in use cannot change) and lets one team's change break another's
// data, which is what giving every service its own data undid.
export const EVENT_BUS_SERVICE = 'event-bus';
/** How a service's template names the bus topic on `stage`: the one import any template may hold. */
export const eventBusTopicArn = (stage) => ({ 'Fn::ImportValue': `${EVENT_BUS_SERVICE}-${stage}-DomainEventsTopicArn` });

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** How a value that only exists at deploy time shows in a text. */
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
 */
const textOf = (value, path) => {
  if (typeof value === 'string') return { text: value, rest: [] };
  const [fn, args] = isObject(value) && Object.keys(value).length === 1 ? Object.entries(value)[0] : [];
  const piece = (part, partPath) => textOf(part, partPath) ?? { text: placeholder(part), rest: [{ value: part, path: partPath }] };
  if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
    const pieces = args[1].map((part, i) => piece(part, `${path}/Fn::Join/1/${i}`));
    return { text: pieces.map((p) => p.text).join(args[0]), rest: pieces.flatMap((p) => p.rest) };
  }
  const [body, variables = {}] = fn === 'Fn::Sub' ? asArray(args) : [];
  if (typeof body === 'string' && isObject(variables)) {
    const pieces = Object.fromEntries(Object.entries(variables).map(([name, part]) => [name, piece(part, `${path}/Fn::Sub/1/${name}`)]));
    const text = body.replace(/\$\{([^!}][^}]*)\}/g, (whole, name) => pieces[name.trim()]?.text ?? whole);
    return { text, rest: Object.values(pieces).flatMap((p) => p.rest) };
  }
  return undefined;
};

/**
 * Problems "<LogicalId or Section/name>: <path>: ..." for every import other
 * than the bus's (the bus itself imports nothing), and every text that holds
 * "<other>-<stage>-" for another service <other> of `services`, but for the
 * bus topic's own name "event-bus-<stage>-domain-events".
 */
export function ownResourcesOnly(template, { service, stage, services }) {
  const problems = [];
  const allowedImport = eventBusTopicArn(stage)['Fn::ImportValue'];
  // Longest name first, so that of two services whose names end alike the text names the longer one.
  const names = [...new Set([service, EVENT_BUS_SERVICE, ...services])].sort((a, b) => b.length - a.length);
  const prefix = new RegExp(`(?<![A-Za-z0-9_])(${names.map(escapeRegExp).join('|')})-${escapeRegExp(stage)}-`, 'g');
  const othersIn = (text) => {
    const others = new Set();
    for (const match of text.matchAll(prefix)) {
      const rest = text.slice(match.index + match[0].length);
      if (match[1] === service || (match[1] === EVENT_BUS_SERVICE && /^domain-events(?![A-Za-z0-9_-])/.test(rest))) continue;
      others.add(match[1]);
    }
    return [...others];
  };
  const visit = (where, value, path) => {
    const made = textOf(value, path);
    if (made) {
      for (const other of othersIn(made.text)) problems.push(`${where}: ${path}: names ${other}'s resource ${show(made.text)}`);
      for (const part of made.rest) visit(where, part.value, part.path);
    } else if (isObject(value) && 'Fn::ImportValue' in value) {
      const name = textOf(value['Fn::ImportValue'], path)?.text ?? placeholder(value['Fn::ImportValue']);
      if (service === EVENT_BUS_SERVICE) {
        problems.push(`${where}: ${path}/Fn::ImportValue: imports ${show(name)}, and the event bus may import nothing`);
      } else if (name !== allowedImport) {
        const owner = othersIn(name)[0] ?? (name.startsWith(`${service}-`) ? service : undefined);
        const whose = owner === undefined ? 'an export' : owner === service ? 'its own export' : `${owner}'s export`;
        problems.push(`${where}: ${path}/Fn::ImportValue: imports ${whose} ${show(name)}, only ${show(allowedImport)} may be imported`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(where, item, `${path}/${i}`));
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) visit(where, item, path ? `${path}/${key}` : key);
    }
  };
  for (const section of ['Parameters', 'Mappings', 'Conditions', 'Resources', 'Outputs']) {
    for (const [id, entry] of Object.entries(template[section] ?? {})) visit(section === 'Resources' ? id : `${section}/${id}`, entry, '');
  }
  return problems;
}

// ---------------------------------------------------------------------------
// A queue that feeds a function is fed by the bus, and only with the events
// that function handles: an SQS subscription to the bus topic with raw
// delivery (the SQS body is the event envelope itself) and a filter policy on
// the `type` message attribute.
export function consumerQueuesSubscribeToTheBus(template, topicArn) {
  const problems = [];
  const queues = new Set(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .map(([, mapping]) => targetOf(mapping.Properties?.EventSourceArn))
      .filter((id) => template.Resources?.[id]?.Type === 'AWS::SQS::Queue'),
  );
  const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription');
  for (const queueId of queues) {
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

export function httpApisAuthorizeWrites(template) {
  const problems = [];
  const resources = template.Resources ?? {};
  for (const [id, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const [method = ''] = String(route.Properties?.RouteKey ?? '').split(' ');
    const type = route.Properties?.AuthorizationType ?? 'NONE';
    if (type === 'NONE') {
      if (!READ_METHODS.has(method.toUpperCase())) problems.push(`${id}: ${route.Properties?.RouteKey} changes state and has no authorizer`);
      continue;
    }
    const authorizerId = targetOf(route.Properties.AuthorizerId);
    const authorizer = resources[authorizerId];
    if (type !== 'JWT' || authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer' || authorizer.Properties?.AuthorizerType !== 'JWT') {
      problems.push(`${id}: its authorizer must be a JWT authorizer of this template, got ${show(type)} ${show(route.Properties.AuthorizerId)}`);
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
    if (!(rate > 0) || !(burst > 0)) problems.push(`${id}: DefaultRouteSettings must throttle every route (rate ${show(settings.ThrottlingRateLimit)}, burst ${show(settings.ThrottlingBurstLimit)})`);
  }
  return problems;
}

/** Each route's access as `<route key>` → 'public', 'token' or the scopes it needs, joined with ' or '. */
export const routeAccess = (template) =>
  Object.fromEntries(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const { RouteKey, AuthorizationType = 'NONE', AuthorizationScopes = [] } = route.Properties ?? {};
      return [RouteKey, AuthorizationType === 'NONE' ? 'public' : AuthorizationScopes.length > 0 ? AuthorizationScopes.join(' or ') : 'token'];
    }),
  );
