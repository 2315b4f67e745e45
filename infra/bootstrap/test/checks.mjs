// The policy checks on the bootstrap template, as functions that return what
// they find wrong (an empty list when nothing is), so policy.test.mjs can run
// them on the real template and on templates broken on purpose.
import {
  EVENT_BUS_SERVICE,
  IAM_PATH,
  OIDC_AUDIENCE,
  OIDC_HOST,
  PREVIEW_ENVIRONMENT,
  PREVIEW_STAGE_PREFIX,
  SMOKE_NOTIFICATIONS,
  SMOKE_ROLES,
  STAGE_ENVIRONMENTS,
  UNSCOPED_ACTIONS,
  UNSCOPED_ARNS,
  environmentName,
  roleNames,
} from '../template.mjs';

/**
 * @typedef {{ Sid?: string, Effect: string, Action?: string | string[], NotAction?: unknown, Resource?: unknown, NotResource?: unknown, Principal?: any, Condition?: any }} Statement
 * @typedef {{ Type: string, Condition?: string, Properties: Record<string, any> }} Resource
 * @typedef {{ Metadata: { Teams: Record<string, string[]> }, Resources: Record<string, Resource> }} Template
 * @typedef {'deploy' | 'preview'} Kind
 * @typedef {'deploy' | 'execution' | 'boundary' | 'smoke'} Part
 * @typedef {{ id: string, team: string, kind: Kind, role: Part, name: string, statements: Statement[], trust?: { Statement: Statement[] }, resource: Resource }} Principal
 */

/** A string as the policy holds it, or the text of its Fn::Sub. @param {unknown} value @returns {string} */
export const text = (value) => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
  return JSON.stringify(value);
};
/** @param {unknown} value @returns {unknown[]} */
const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Every role and boundary of the template, with the team, kind and part each
 * is (from its name, roleNames() of template.mjs; the smoke roles belong to
 * no team), and its statements.
 * @param {Template} template
 * @returns {Principal[]}
 */
export function principalsOf(template) {
  /** @type {Map<string, { team: string, kind: Kind, role: Part }>} */
  const byName = new Map();
  byName.set(SMOKE_ROLES.deploy, { team: '', kind: 'deploy', role: 'smoke' });
  byName.set(SMOKE_ROLES.preview, { team: '', kind: 'preview', role: 'smoke' });
  for (const team of Object.keys(template.Metadata.Teams)) {
    for (const kind of /** @type {Kind[]} */ (['deploy', 'preview'])) {
      const names = roleNames(team, kind);
      byName.set(names.deploy, { team, kind, role: 'deploy' });
      byName.set(names.execution, { team, kind, role: 'execution' });
      byName.set(names.boundary, { team, kind, role: 'boundary' });
    }
  }
  /** @type {Principal[]} */
  const principals = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Role' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const name = resource.Type === 'AWS::IAM::Role' ? resource.Properties.RoleName : resource.Properties.ManagedPolicyName;
    const known = byName.get(name);
    if (!known) throw new Error(`${id}: ${name} is no team's role or boundary`);
    const documents = resource.Type === 'AWS::IAM::Role' ? (resource.Properties.Policies ?? []).map((/** @type {any} */ policy) => policy.PolicyDocument) : [resource.Properties.PolicyDocument];
    principals.push({
      id,
      ...known,
      name,
      statements: documents.flatMap((/** @type {any} */ document) => document.Statement),
      trust: resource.Properties.AssumeRolePolicyDocument,
      resource,
    });
  }
  return principals;
}

/** The names a team's stacks use on `kind`'s stages: `<service>-` (`<service>-pr-`) and `<service>/` (`<service>/pr-`, secrets). @param {string[]} services @param {Kind} kind */
const teamNamePrefixes = (services, kind) => {
  const stage = kind === 'preview' ? PREVIEW_STAGE_PREFIX : '';
  return services.flatMap((service) => [`${service}-${stage}`, `${service}/${stage}`]);
};
/** Whether an ARN's resource part starts (after `:` or `/`) with one of `prefixes`. @param {string} arn @param {string[]} prefixes */
export const namesOneOf = (arn, prefixes) => prefixes.some((prefix) => arn.includes(`:${prefix}`) || arn.includes(`/${prefix}`));

/** Actions no role here may be allowed, whatever the resource: they make or reach identities beyond the stacks. */
export const FORBIDDEN_ACTIONS = [
  /^iam:(AttachRolePolicy|CreatePolicy|CreatePolicyVersion|SetDefaultPolicyVersion|CreateUser|CreateAccessKey|CreateLoginProfile|PutUserPolicy|AttachUserPolicy|PutGroupPolicy|AttachGroupPolicy|AddUserToGroup|DeleteRolePermissionsBoundary|CreateOpenIDConnectProvider|UpdateOpenIDConnectProviderThumbprint|CreateServiceLinkedRole)$/,
  /^sts:AssumeRole/,
  /^organizations:/,
  /^account:/,
];

/**
 * The checks every Allow statement of every role and boundary passes: no
 * `*` action or `<service>:*`, no NotAction/NotResource, `Resource: *` only
 * with a scoping condition or with actions that have no resource, no
 * forbidden action, no AWS managed policy.
 * @param {Template} template
 * @returns {string[]}
 */
export function checkNoAdmin(template) {
  const problems = [];
  for (const principal of principalsOf(template)) {
    if (principal.resource.Properties.ManagedPolicyArns) problems.push(`${principal.name}: attaches managed policies ${JSON.stringify(principal.resource.Properties.ManagedPolicyArns)}`);
    for (const statement of principal.statements) {
      const where = `${principal.name} ${statement.Sid ?? '(no Sid)'}`;
      if (statement.NotAction || statement.NotResource) problems.push(`${where}: NotAction/NotResource`);
      if (statement.Effect !== 'Allow') continue;
      const actions = /** @type {string[]} */ (list(statement.Action));
      for (const action of actions) {
        if (action === '*' || /^[a-z0-9-]+:\*$/.test(action)) problems.push(`${where}: action ${action}`);
        if (FORBIDDEN_ACTIONS.some((pattern) => pattern.test(action))) problems.push(`${where}: forbidden action ${action}`);
      }
      const resources = list(statement.Resource).map(text);
      if (resources.includes('*') && !statement.Condition) {
        const scoped = actions.filter((action) => !(action in UNSCOPED_ACTIONS));
        if (scoped.length > 0) problems.push(`${where}: ${scoped.join(', ')} on Resource * without a condition`);
      }
    }
  }
  return problems;
}

/**
 * Trust: a GitHub role only for this repository's (GitHubRepository) team
 * environments named exactly, through the OIDC provider with audience
 * sts.amazonaws.com; an execution role only for CloudFormation.
 * @param {Template} template
 * @returns {string[]}
 */
export function checkTrust(template) {
  const problems = [];
  for (const principal of principalsOf(template)) {
    if (principal.role === 'boundary') continue;
    const statements = principal.trust?.Statement ?? [];
    if (statements.length !== 1) {
      problems.push(`${principal.name}: ${statements.length} trust statements, expected 1`);
      continue;
    }
    const [statement] = /** @type {[Statement]} */ (statements);
    if (statement.Effect !== 'Allow') problems.push(`${principal.name}: trust is not an Allow`);
    if (principal.role === 'execution') {
      if (JSON.stringify(statement.Principal) !== JSON.stringify({ Service: 'cloudformation.amazonaws.com' })) problems.push(`${principal.name}: trusts ${JSON.stringify(statement.Principal)}, not CloudFormation alone`);
      if (statement.Action !== 'sts:AssumeRole') problems.push(`${principal.name}: trust action ${JSON.stringify(statement.Action)}`);
      continue;
    }
    const provider = `arn:aws:iam::\${AWS::AccountId}:oidc-provider/${OIDC_HOST}`;
    const federated = statement.Principal?.Federated;
    const expectedFederated = { 'Fn::If': ['CreateOidcProvider', { Ref: 'GitHubOidcProvider' }, { 'Fn::Sub': provider }] };
    if (JSON.stringify(Object.keys(statement.Principal ?? {})) !== '["Federated"]' || JSON.stringify(federated) !== JSON.stringify(expectedFederated)) {
      problems.push(`${principal.name}: trusts ${JSON.stringify(statement.Principal)}, not the GitHub OIDC provider alone`);
    }
    if (statement.Action !== 'sts:AssumeRoleWithWebIdentity') problems.push(`${principal.name}: trust action ${JSON.stringify(statement.Action)}`);
    const operators = Object.keys(statement.Condition ?? {});
    if (JSON.stringify(operators) !== '["StringEquals"]') problems.push(`${principal.name}: trust conditions ${operators.join(', ') || 'none'}, expected StringEquals only (no wildcards)`);
    const equals = statement.Condition?.StringEquals ?? {};
    if (equals[`${OIDC_HOST}:aud`] !== OIDC_AUDIENCE) problems.push(`${principal.name}: audience ${JSON.stringify(equals[`${OIDC_HOST}:aud`])}`);
    const environments =
      principal.role === 'smoke'
        ? principal.kind === 'deploy'
          ? STAGE_ENVIRONMENTS
          : [PREVIEW_ENVIRONMENT]
        : principal.kind === 'deploy'
          ? STAGE_ENVIRONMENTS.map((stage) => environmentName(stage, principal.team))
          : [environmentName(PREVIEW_ENVIRONMENT, principal.team)];
    const expectedSubjects = environments.map((environment) => `repo:\${GitHubRepository}:environment:${environment}`);
    const subjects = list(equals[`${OIDC_HOST}:sub`]).map(text);
    if (JSON.stringify(subjects) !== JSON.stringify(expectedSubjects)) problems.push(`${principal.name}: subjects ${JSON.stringify(subjects)}, expected ${JSON.stringify(expectedSubjects)}`);
    if (subjects.some((subject) => subject.includes('*') || subject.includes('?'))) problems.push(`${principal.name}: a subject with a wildcard`);
    const extraKeys = Object.keys(statement.Principal ?? {}).filter((key) => key !== 'Federated');
    if (extraKeys.length > 0) problems.push(`${principal.name}: also trusts ${extraKeys.join(', ')}`);
  }
  return problems;
}

/**
 * Scope: every ARN a role or boundary grants is under its own team's names
 * (`<service>-`, `<service>/`; on preview, `<service>-pr-`, `<service>/pr-`),
 * or one of UNSCOPED_ARNS (each with its reason), or — for a deploy role —
 * its own execution role; `Resource: *` is checkNoAdmin's.
 * CloudFormation writes go only through the team's execution role, and
 * never as a resource import; only the preview role deletes stacks; function
 * roles are made only with the team's boundary, which no stack may lift;
 * roles are passed only to the service each is for.
 * @param {Template} template
 * @returns {string[]}
 */
export function checkScope(template) {
  const problems = [];
  const teams = template.Metadata.Teams;
  const allServices = Object.values(teams).flat();
  for (const principal of principalsOf(template)) {
    if (principal.role === 'smoke') {
      problems.push(...checkSmoke(principal, allServices));
      continue;
    }
    const services = teams[principal.team] ?? [];
    const prefixes = teamNamePrefixes(services, principal.kind);
    const names = roleNames(principal.team, principal.kind);
    const ownExecutionRole = `arn:aws:iam::\${AWS::AccountId}:role${IAM_PATH}${names.execution}`;
    const ownBoundary = `arn:aws:iam::\${AWS::AccountId}:policy${IAM_PATH}${names.boundary}`;
    const ownsBus = services.includes(EVENT_BUS_SERVICE);
    for (const statement of principal.statements) {
      if (statement.Effect !== 'Allow') continue;
      const where = `${principal.name} ${statement.Sid ?? '(no Sid)'}`;
      const actions = /** @type {string[]} */ (list(statement.Action));
      for (const arn of list(statement.Resource).map(text)) {
        if (arn === '*') continue;
        if (principal.role === 'deploy' && arn === ownExecutionRole) continue;
        if (namesOneOf(arn, prefixes)) continue;
        if (arn in UNSCOPED_ARNS) {
          if (arn.includes(':kms:') && !ownsBus) problems.push(`${where}: ${arn} (KMS keys are the bus team's only)`);
          const bus = `arn:aws:sns:*:*:${EVENT_BUS_SERVICE}-`;
          if (arn.startsWith(bus)) {
            const busActions = ['sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:Subscribe', 'sns:Unsubscribe', ...(principal.role === 'boundary' ? ['sns:Publish'] : [])];
            const other = actions.filter((action) => !busActions.includes(action));
            if (other.length > 0) problems.push(`${where}: ${other.join(', ')} on the bus ${arn} (other teams may only subscribe, and functions publish)`);
            if (principal.kind === 'preview' && !arn.startsWith(`${bus}${PREVIEW_STAGE_PREFIX}`)) problems.push(`${where}: ${arn} is not a preview stage's bus`);
          }
          if (principal.role === 'deploy' && arn.includes(':apigateway:') && actions.some((action) => action !== 'apigateway:GET')) problems.push(`${where}: deploy role changes HTTP APIs outside CloudFormation`);
          continue;
        }
        problems.push(`${where}: ${arn} is not under ${prefixes.join(' or ')}`);
      }
      const write = actions.filter((action) => ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:CreateChangeSet', 'cloudformation:DeleteStack'].includes(action));
      if (write.length > 0) {
        const roleArn = text(statement.Condition?.StringEquals?.['cloudformation:RoleArn']);
        if (principal.role !== 'deploy' || roleArn !== ownExecutionRole) problems.push(`${where}: ${write.join(', ')} not bound to ${names.execution} (cloudformation:RoleArn is ${roleArn})`);
      }
      if (actions.includes('cloudformation:DeleteStack') && principal.kind !== 'preview') problems.push(`${where}: a ${principal.kind} role deletes stacks`);
      if (actions.includes('iam:PassRole')) {
        const passedTo = statement.Condition?.StringEquals?.['iam:PassedToService'];
        const expected = principal.role === 'deploy' ? 'cloudformation.amazonaws.com' : 'lambda.amazonaws.com';
        if (passedTo !== expected) problems.push(`${where}: iam:PassRole to ${JSON.stringify(passedTo)}, expected ${expected}`);
        if (actions.length !== 1) problems.push(`${where}: iam:PassRole shares its statement with ${actions.join(', ')}`);
      }
      const makesRoles = actions.filter((action) => ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:PutRolePermissionsBoundary'].includes(action));
      if (makesRoles.length > 0) {
        const expected = { 'Fn::If': ['RequireBoundary', { StringEquals: { 'iam:PermissionsBoundary': { 'Fn::Sub': ownBoundary } } }, { Ref: 'AWS::NoValue' }] };
        if (principal.role !== 'execution' || JSON.stringify(statement.Condition) !== JSON.stringify(expected)) problems.push(`${where}: ${makesRoles.join(', ')} without the condition that the role carries ${names.boundary}`);
      }
    }
    if (principal.role === 'deploy') {
      const guard = principal.statements.find(
        (statement) =>
          statement.Effect === 'Deny' &&
          JSON.stringify(statement.Action) === '["cloudformation:CreateChangeSet"]' &&
          text(statement.Resource) === '*' &&
          statement.Condition?.Null?.['cloudformation:ImportResourceTypes'] === 'false',
      );
      if (!guard) problems.push(`${principal.name}: no Deny of resource imports (CreateChangeSet with cloudformation:ImportResourceTypes)`);
    }
    if (principal.role === 'execution') {
      const guard = principal.statements.find((statement) => statement.Effect === 'Deny' && list(statement.Action).includes('iam:DeleteRolePermissionsBoundary') && text(statement.Resource) === '*');
      if (!guard) problems.push(`${principal.name}: no Deny of iam:DeleteRolePermissionsBoundary`);
    }
  }
  return problems;
}

/**
 * A smoke role reads and nothing else: DescribeStacks on the services'
 * stacks, GetItem of notification records in the notifier's table (on
 * preview, preview stages' only).
 * @param {Principal} principal @param {string[]} services
 * @returns {string[]}
 */
function checkSmoke(principal, services) {
  const problems = [];
  const stage = principal.kind === 'preview' ? PREVIEW_STAGE_PREFIX : '';
  const stacks = services.map((service) => `arn:aws:cloudformation:*:*:stack/${service}-${stage}*/*`);
  const table = `arn:aws:dynamodb:*:*:table/${SMOKE_NOTIFICATIONS.service}-${stage}*${SMOKE_NOTIFICATIONS.tableSuffix}`;
  for (const statement of principal.statements) {
    const where = `${principal.name} ${statement.Sid ?? '(no Sid)'}`;
    const actions = /** @type {string[]} */ (list(statement.Action));
    const resources = list(statement.Resource).map(text);
    if (statement.Effect !== 'Allow') continue;
    if (JSON.stringify(actions) === '["cloudformation:DescribeStacks"]') {
      const other = resources.filter((arn) => !stacks.includes(arn));
      if (other.length > 0) problems.push(`${where}: reads ${other.join(', ')}, not the services' stacks`);
    } else if (JSON.stringify(actions) === '["dynamodb:GetItem"]') {
      if (JSON.stringify(resources) !== JSON.stringify([table])) problems.push(`${where}: GetItem on ${resources.join(', ')}, not ${table}`);
      const keys = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      if (JSON.stringify(keys) !== JSON.stringify([SMOKE_NOTIFICATIONS.leadingKeys])) problems.push(`${where}: GetItem not limited to ${SMOKE_NOTIFICATIONS.leadingKeys} keys`);
    } else {
      problems.push(`${where}: ${actions.join(', ')} (a smoke role only reads stacks and notification records)`);
    }
  }
  return problems;
}

/**
 * IAM's size limits, counted as IAM does (characters other than whitespace)
 * with ${AWS::AccountId} as 12 digits and ${GitHubRepository} as 140
 * characters (GitHub's longest owner/name): a role's inline policies
 * together 10,240, a managed policy 6,144, a trust policy 2,048
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * @param {Template} template
 * @returns {string[]}
 */
export function checkSizes(template) {
  const size = (/** @type {unknown} */ document) =>
    JSON.stringify(document)
      .replaceAll('${AWS::AccountId}', '123456789012')
      .replaceAll('${GitHubRepository}', 'o'.repeat(39) + '/' + 'n'.repeat(100))
      .replace(/\s/g, '').length;
  const problems = [];
  for (const principal of principalsOf(template)) {
    const properties = principal.resource.Properties;
    if (principal.role === 'boundary') {
      const n = size(properties.PolicyDocument);
      if (n > 6144) problems.push(`${principal.name}: managed policy of ${n} characters (limit 6,144)`);
      continue;
    }
    const inline = (properties.Policies ?? []).reduce((/** @type {number} */ sum, /** @type {any} */ policy) => sum + size(policy.PolicyDocument), 0);
    if (inline > 10240) problems.push(`${principal.name}: inline policies of ${inline} characters (limit 10,240 per role)`);
    const trust = size(properties.AssumeRolePolicyDocument);
    if (trust > 2048) problems.push(`${principal.name}: trust policy of ${trust} characters (limit 2,048)`);
  }
  return problems;
}
