// Each function's IAM role, read from the compiled templates the local stack
// was provisioned from, with its ARNs resolved to the local ones: the role of
// every AWS::Lambda::Function (its `Role`), the inline `Policies` of that
// AWS::IAM::Role, the AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources
// attached to it, and the managed policies it names. Intrinsics are resolved
// as provisioning resolves them (cfn.mjs), plus Fn::ImportValue of another
// local stack's exports. What cannot be resolved is logged once and fails
// closed: an Allow is not granted on it, a Deny denies more, never less. So
// does a malformed statement (no Action, no Resource: IAM refuses it), loudly.
import { resourcesOfType } from '../cloudformation/cfn.mjs';
import { LOCAL_ACCOUNT_ID } from '../aws.cjs';
import { malformation } from './evaluate.mjs';

/** @typedef {import('./evaluate.mjs').Statement} Statement */
/**
 * @typedef {object} FunctionRole  a function and the role it runs with
 * @property {string} functionName
 * @property {string} roleName
 * @property {Statement[]} statements
 *
 * @typedef {Pick<import('@platform/local-runtime/types').ProvisionedStack, 'name' | 'template' | 'resolve'>} Stack  a provisioned stack, as far as roles go
 * @typedef {(value: unknown, what: string) => { value: any } | undefined} TryResolve
 */

// AWS managed policies a Lambda role commonly names, by what they allow.
const LOGS = { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: ['*'] };
/** @type {Record<string, Array<{ Effect: string, Action: string[], Resource: string[] }>>} */
const AWS_MANAGED = {
  'service-role/AWSLambdaBasicExecutionRole': [LOGS],
  'service-role/AWSLambdaSQSQueueExecutionRole': [LOGS, { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: ['*'] }],
  'service-role/AWSLambdaDynamoDBExecutionRole': [
    LOGS,
    { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], Resource: ['*'] },
  ],
  AWSXRayDaemonWriteAccess: [
    { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'], Resource: ['*'] },
  ],
};

/** @param {unknown} value @returns {any[] | undefined} */
const list = (value) => (value === undefined ? undefined : [value].flat());

/** The logical id of the resource an intrinsic names (`Ref X`, `Fn::GetAtt [X, Arn]`, `Fn::GetAtt 'X.Arn'`). @param {any} value @returns {string | undefined} */
const referencedId = (value) => {
  if (value?.Ref) return value.Ref;
  const getAtt = value?.['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};

/**
 * The exports of every stack (Outputs with Export.Name), resolved on first use.
 * @param {Stack[]} stacks
 */
const exportsOf = (stacks) => {
  /** @type {Map<string, () => unknown>} */
  const exports = new Map();
  for (const stack of stacks) {
    for (const output of Object.values(stack.template.Outputs ?? {})) {
      if (!output?.Export) continue;
      try {
        exports.set(String(stack.resolve(output.Export.Name)), () => stack.resolve(output.Value));
      } catch {
        // An export whose name cannot be resolved cannot be imported either.
      }
    }
  }
  return exports;
};

/** `value` with every Fn::ImportValue replaced by the export's local value. @param {any} value @param {Map<string, () => unknown>} exports @returns {any} */
const withImports = (value, exports) => {
  if (Array.isArray(value)) return value.map((element) => withImports(element, exports));
  if (value === null || typeof value !== 'object') return value;
  if ('Fn::ImportValue' in value && Object.keys(value).length === 1) {
    const name = String(withImports(value['Fn::ImportValue'], exports));
    const exported = exports.get(name);
    if (!exported) throw new Error(`no local stack exports ${name}`);
    return exported();
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withImports(inner, exports)]));
};

/**
 * Every function's role in these provisioned stacks (each with `template` and
 * `resolve`), by function name.
 * @param {Stack[]} stacks
 * @param {{ warn: (line: string) => void }} options
 * @returns {Map<string, FunctionRole>}
 */
export const functionRoles = (stacks, { warn }) => {
  const exports = exportsOf(stacks);
  /** @type {Map<string, FunctionRole>} */
  const roles = new Map();
  for (const stack of stacks) {
    const resources = stack.template.Resources ?? {};
    const resolve = (/** @type {unknown} */ value) => stack.resolve(withImports(value, exports));
    for (const [, fn] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
      const functionName = String(resolve(fn.Properties?.FunctionName));
      const roleId = referencedId(fn.Properties?.Role);
      const role = roleId && resources[roleId]?.Type === 'AWS::IAM::Role' ? resources[roleId] : undefined;
      if (!role) {
        warn(`${functionName}: its role ${JSON.stringify(fn.Properties?.Role)} is not an AWS::IAM::Role of ${stack.name}'s template, so every call it makes is denied`);
        roles.set(functionName, { functionName, roleName: String(fn.Properties?.Role), statements: [] });
        continue;
      }
      const where = `${functionName} (role ${roleId})`;
      /** @type {TryResolve} */
      const tryResolve = (value, what) => {
        try {
          return { value: resolve(value) };
        } catch (error) {
          warn(`${where}: ${what} ${JSON.stringify(value)} cannot be resolved locally (${/** @type {Error} */ (error).message}); failing closed: an Allow does not grant it, a Deny covers everything`);
          return undefined;
        }
      };
      const documents = policyDocuments(stack, /** @type {string} */ (roleId), role, tryResolve, warn, where);
      const statements = documents.flatMap((document) => list(document.Statement) ?? []).flatMap((/** @type {any} */ statement) => normalize(statement, tryResolve, warn, where));
      const roleName = role.Properties?.RoleName ? (tryResolve(role.Properties.RoleName, 'RoleName')?.value ?? roleId) : `${stack.name}-${roleId}`;
      roles.set(functionName, { functionName, roleName: String(roleName), statements });
    }
  }
  return roles;
};

/**
 * The policy documents that apply to a role: inline, attached AWS::IAM::Policy / ManagedPolicy, and managed policy ARNs.
 * @param {Stack} stack @param {string} roleId @param {import('@platform/local-runtime/types').CfnResource} role @param {TryResolve} tryResolve
 * @param {(line: string) => void} warn @param {string} where
 * @returns {any[]}
 */
const policyDocuments = (stack, roleId, role, tryResolve, warn, where) => {
  const resources = stack.template.Resources ?? {};
  const documents = (role.Properties?.Policies ?? []).map((/** @type {{ PolicyDocument: unknown }} */ policy) => policy.PolicyDocument);
  /** @param {import('@platform/local-runtime/types').CfnResource} resource @returns {boolean} */
  const attachedTo = (resource) => (resource.Properties?.Roles ?? []).some((/** @type {unknown} */ entry) => referencedId(entry) === roleId);
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [, resource] of resourcesOfType(stack.template, type)) if (attachedTo(resource)) documents.push(resource.Properties?.PolicyDocument);
  }
  for (const entry of role.Properties?.ManagedPolicyArns ?? []) {
    const managedId = referencedId(entry);
    const managed = managedId === undefined ? undefined : resources[managedId];
    if (managed?.Type === 'AWS::IAM::ManagedPolicy') {
      if (!attachedTo(managed)) documents.push(managed.Properties?.PolicyDocument);
      continue;
    }
    const arn = tryResolve(entry, 'managed policy')?.value;
    const known = typeof arn === 'string' ? AWS_MANAGED[arn.replace(/^arn:aws:iam::aws:policy\//, '')] : undefined;
    if (known) documents.push({ Statement: known });
    else if (arn !== undefined) warn(`${where}: managed policy ${arn} is not known locally: nothing it allows is granted`);
  }
  return documents;
};

/**
 * A statement with its values resolved and made lists. Unresolvable parts
 * fail closed: an Allow loses the resources it cannot name (and is dropped
 * when its NotResource or Condition cannot be resolved); a Deny applies to
 * every resource it cannot name, and unconditionally when its Condition
 * cannot be resolved.
 * @param {any} statement as the template has it @param {TryResolve} tryResolve @param {(line: string) => void} warn @param {string} where
 * @returns {Statement[]}
 */
const normalize = (statement, tryResolve, warn, where) => {
  const allow = statement.Effect === 'Allow';
  /** @param {unknown} value @param {string} what @returns {Array<string | undefined> | undefined} */
  const strings = (value, what) => {
    const resolved = list(value)?.map((entry) => tryResolve(entry, what));
    return resolved?.map((entry) => (entry && typeof entry.value === 'string' ? entry.value : undefined));
  };
  const malformed = malformation(statement);
  if (malformed) {
    // IAM refuses such a policy (the deploy fails), so nothing may rest on it locally: it grants nothing.
    warn(`MALFORMED POLICY: ${where}: a statement with ${malformed}, which IAM refuses; locally it ${allow ? 'grants nothing' : 'denies everything'}: ${JSON.stringify(statement)}`);
    return allow ? [] : [{ Effect: 'Deny', Action: ['*'], Resource: ['*'] }];
  }
  /** @type {Statement} */
  const result = { Effect: allow ? 'Allow' : 'Deny' };
  if (statement.Action) result.Action = list(statement.Action);
  if (statement.NotAction) result.NotAction = list(statement.NotAction);
  if (statement.Principal || statement.NotPrincipal) warn(`${where}: a statement has a Principal, which IAM refuses in an identity-based policy`);
  if (statement.Resource) {
    const resources = strings(statement.Resource, 'Resource') ?? [];
    result.Resource = allow ? resources.filter((entry) => entry !== undefined) : resources.map((entry) => entry ?? '*');
  }
  if (statement.NotResource) {
    const resources = strings(statement.NotResource, 'NotResource') ?? [];
    if (allow && resources.includes(undefined)) return [];
    result.NotResource = resources.filter((entry) => entry !== undefined);
  }
  if (statement.Condition) {
    const condition = tryResolve(statement.Condition, 'Condition');
    if (condition) result.Condition = condition.value;
    else if (allow) return [];
  }
  return [result];
};

/**
 * The hash key of every table of these templates, by table name (for dynamodb:LeadingKeys).
 * @param {Stack[]} stacks
 * @returns {Map<string, string>}
 */
export const tableHashKeys = (stacks) =>
  new Map(
    stacks.flatMap((stack) =>
      resourcesOfType(stack.template, 'AWS::DynamoDB::Table').flatMap(([, table]) => {
        const hash = table.Properties?.KeySchema?.find((/** @type {{ KeyType: string }} */ key) => key.KeyType === 'HASH')?.AttributeName;
        try {
          return hash ? [/** @type {[string, string]} */ ([String(stack.resolve(table.Properties?.TableName)), hash])] : [];
        } catch {
          return [];
        }
      }),
    ),
  );

// What Lambda needs the function's role to allow before it creates an event
// source mapping, and for its on-failure destination.
const POLLER_ACTIONS = {
  sqs: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  stream: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
};

/**
 * The checks Lambda makes on each function's role for its event source
 * mappings: reading the queue or stream, and sending to the mapping's
 * on-failure destination.
 * @param {Stack[]} stacks  provisioned stacks
 * @returns {{ functionName: string, description: string, checks: import('./evaluate.mjs').Check[] }[]}
 */
export const eventSourceMappingChecks = (stacks) =>
  stacks.flatMap((stack) =>
    resourcesOfType(stack.template, 'AWS::Lambda::EventSourceMapping').map(([logicalId, resource]) => {
      const mapping = stack.resolve(resource.Properties);
      const functionName = String(mapping.FunctionName).split(':function:').pop() ?? '';
      const source = String(mapping.EventSourceArn);
      const actions = source.startsWith('arn:aws:sqs:') ? POLLER_ACTIONS.sqs : source.includes('/stream/') ? POLLER_ACTIONS.stream : [];
      /** @type {import('./evaluate.mjs').Check[]} */
      const checks = actions.map((action) => ({ action, resource: source, context: {} }));
      const destination = mapping.DestinationConfig?.OnFailure?.Destination;
      if (typeof destination === 'string' && destination.startsWith('arn:aws:sqs:')) checks.push({ action: 'sqs:SendMessage', resource: destination, context: {} });
      if (typeof destination === 'string' && destination.startsWith('arn:aws:sns:')) checks.push({ action: 'sns:Publish', resource: destination, context: {} });
      return { functionName, description: `${stack.name}'s ${logicalId}`, checks };
    }),
  );

/** The principal ARN AWS names in a denial: the function's session of its role. @param {{ roleName: string, functionName: string }} role */
export const assumedRoleArn = ({ roleName, functionName }) => `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${roleName}/${functionName}`;
