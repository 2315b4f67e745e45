// Evaluates identity-based IAM policy statements for one request, as AWS does
// within a single account: an explicit Deny wins, then an Allow, otherwise the
// request is implicitly denied. Supported: Action/NotAction and
// Resource/NotResource with `*` and `?` wildcards, and the condition operators
// below, on the keys the local IAM layer knows (the request context).
// Anything else in a Condition (another operator, a key not in the context's
// known keys) cannot be evaluated here: such a statement fails closed, i.e. an
// Allow grants nothing and a Deny denies, and `onUnsupported` says why, once.
// So does a malformed statement (no Action nor NotAction, no Resource nor
// NotResource), which IAM would refuse: it never allows, and a Deny denies.

/**
 * @typedef {object} Statement  a policy statement with its values as arrays of strings
 * @property {'Allow' | 'Deny'} Effect
 * @property {string[]} [Action]
 * @property {string[]} [NotAction]
 * @property {string[]} [Resource]
 * @property {string[]} [NotResource]
 * @property {Record<string, Record<string, string[]>>} [Condition]
 *
 * @typedef {object} Check  one authorization check: an action on a resource
 * @property {string} action     e.g. dynamodb:PutItem
 * @property {string} resource   an ARN, or `*` for actions without a resource
 * @property {Record<string, string | string[] | typeof UNKNOWN | undefined>} [context]  condition keys of this check, lower case
 *
 * @typedef {{ decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny', statement?: Statement }} Verdict
 * @typedef {NonNullable<Check['context']>} Context
 */

/** A condition key the layer knows but cannot work out for this request: a condition on it fails closed. */
export const UNKNOWN = Symbol('unknown to the local IAM layer');

/** @type {Map<string, RegExp>} */
const patterns = new Map();
/** IAM's wildcard match: `*` any run of characters, `?` one character. @param {string} pattern @param {string} value */
const globMatch = (pattern, value, ignoreCase = false) => {
  if (pattern === '*') return true;
  if (!/[*?]/.test(pattern)) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(key);
  if (!regex) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    patterns.set(key, regex);
  }
  return regex.test(value);
};

/** The six colon-separated parts of an ARN (the last keeps its own colons), or undefined. @param {string} arn */
const arnParts = (arn) => {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? [...parts.slice(0, 5), parts.slice(5).join(':')] : undefined;
};

/** An ARN pattern against an ARN, part by part (a wildcard never spans the colons between parts), as IAM and ArnLike do. @param {string} pattern @param {string} arn */
export const arnMatches = (pattern, arn) => {
  if (pattern === '*') return true;
  const [expected, actual] = [arnParts(pattern), arnParts(arn)];
  // An ARN pattern of fewer than six parts matches no ARN; a value that is no ARN (`*`) only its own spelling.
  if (!expected || !actual) return !pattern.startsWith('arn:') && !actual && globMatch(pattern, arn);
  return expected.every((part, index) => globMatch(part, /** @type {string} */ (actual[index])));
};

/** Actions compare without regard to case: `DynamoDB:getitem` is `dynamodb:GetItem`. @param {string} pattern @param {string} action */
export const actionMatches = (pattern, action) => globMatch(pattern, action, true);

// The operators supported, each as a test of one request value against one policy value.
/** @type {Record<string, (policy: string, value: string) => boolean>} */
const MATCHERS = {
  stringequals: (policy, value) => policy === value,
  stringequalsignorecase: (policy, value) => policy.toLowerCase() === value.toLowerCase(),
  stringlike: (policy, value) => globMatch(policy, value),
  arnequals: (policy, value) => arnMatches(policy, value),
  arnlike: (policy, value) => arnMatches(policy, value),
  bool: (policy, value) => policy.toLowerCase() === value.toLowerCase(),
};
/** @type {Record<string, string>} */
const NEGATED = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
};

/**
 * One operator block's test of one key: true, false, or undefined when it
 * cannot be evaluated locally (an unsupported operator, or a key the request
 * context does not know).
 * @param {string} operatorName @param {string} key @param {unknown[]} policyValues @param {Context} context @param {Set<string>} knownKeys
 * @returns {boolean | undefined}
 */
const testCondition = (operatorName, key, policyValues, context, knownKeys) => {
  const keyName = key.toLowerCase();
  let operator = operatorName.toLowerCase();
  const setOperator = /^(forallvalues|foranyvalue):/.exec(operator)?.[1];
  if (setOperator) operator = operator.slice(setOperator.length + 1);
  const ifExists = operator.endsWith('ifexists');
  if (ifExists) operator = operator.slice(0, -'ifexists'.length);
  if (!knownKeys.has(keyName)) return undefined;
  const value = context[keyName];
  if (value === UNKNOWN) return undefined;
  const values = value === undefined ? [] : [value].flat();

  if (operator === 'null') {
    if (setOperator || ifExists) return undefined;
    return policyValues.some((expected) => String(expected).toLowerCase() === String(values.length === 0));
  }
  const negatedOf = NEGATED[operator];
  const match = MATCHERS[negatedOf ?? operator];
  if (!match) return undefined;
  /** @param {string} requestValue */
  const matchesAny = (requestValue) => policyValues.some((expected) => match(String(expected), requestValue));
  const test = negatedOf ? (/** @type {string} */ requestValue) => !matchesAny(requestValue) : matchesAny;

  if (setOperator === 'forallvalues') return values.every(test); // true for an absent key, as in AWS
  if (setOperator === 'foranyvalue') return values.some(test);
  if (values.length === 0) return ifExists || Boolean(negatedOf); // an absent key matches only the negated operators
  return values.some(test);
};

/**
 * Whether a statement's Condition holds: every operator block, every key in
 * it (values of one key are alternatives). undefined when it cannot be told locally.
 * @param {Statement['Condition']} condition @param {Context} context @param {Set<string>} knownKeys @param {(what: string) => void} onUnsupported
 */
const conditionHolds = (condition, context, knownKeys, onUnsupported) => {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, policyValues] of Object.entries(keys)) {
      const result = testCondition(operator, key, [policyValues].flat(), context, knownKeys);
      if (result === undefined) {
        onUnsupported(`${operator} on ${key}`);
        return undefined;
      }
      if (!result) return false;
    }
  }
  return true;
};

/** @param {string[]} list @param {string} value @param {(pattern: string, value: string) => boolean} matches */
const listMatches = (list, value, matches) => list.some((pattern) => matches(pattern, value));

/**
 * What makes a statement malformed, which IAM refuses the whole policy for:
 * no Action (nor NotAction), or no Resource (nor NotResource), or both of a
 * pair. undefined for a well-formed one.
 * @param {Pick<Statement, 'Action' | 'NotAction' | 'Resource' | 'NotResource'>} statement
 */
export const malformation = (statement) => {
  const has = (/** @type {unknown} */ value) => value !== undefined;
  if (!has(statement.Action) && !has(statement.NotAction)) return 'no Action (nor NotAction)';
  if (has(statement.Action) && has(statement.NotAction)) return 'both Action and NotAction';
  if (!has(statement.Resource) && !has(statement.NotResource)) return 'no Resource (nor NotResource)';
  if (has(statement.Resource) && has(statement.NotResource)) return 'both Resource and NotResource';
  return undefined;
};

/** Whether a statement is about this action and resource, before its Condition. @param {Statement} statement @param {Check} check */
const inScope = (statement, { action, resource }) => {
  // A malformed statement would not deploy. It fails closed here: an Allow grants nothing (read as it is, a missing
  // Action or Resource would match everything), a Deny covers everything.
  if (malformation(statement)) return statement.Effect === 'Deny';
  const actionIn = statement.Action ? listMatches(statement.Action, action, actionMatches) : !listMatches(statement.NotAction ?? [], action, actionMatches);
  if (!actionIn) return false;
  return statement.Resource ? listMatches(statement.Resource, resource, arnMatches) : !listMatches(statement.NotResource ?? [], resource, arnMatches);
};

/**
 * @param {Statement[]} statements  every statement of the principal's policies
 * @param {Check} check
 * @param {{ knownKeys: Set<string>, onUnsupported?: (what: string) => void }} options  knownKeys: the condition keys (lower case) this layer can tell
 * @returns {Verdict}
 */
export const evaluate = (statements, check, { knownKeys, onUnsupported = () => {} }) => {
  const context = check.context ?? {};
  /** @type {Statement | undefined} */
  let allowedBy;
  for (const statement of statements) {
    if (!inScope(statement, check)) continue;
    const holds = conditionHolds(statement.Condition, context, knownKeys, onUnsupported);
    // Fail closed: a condition that cannot be told denies, and never allows.
    if (statement.Effect === 'Deny' && holds !== false) return { decision: 'ExplicitDeny', statement };
    if (statement.Effect === 'Allow' && holds === true) allowedBy ??= statement;
  }
  return allowedBy ? { decision: 'Allow', statement: allowedBy } : { decision: 'ImplicitDeny' };
};
