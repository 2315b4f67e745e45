// The local IAM evaluator: explicit Deny, Allow, implicit deny; wildcards;
// NotAction/NotResource; the supported condition operators and keys; and
// what it cannot evaluate failing closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_CONDITION_KEYS } from '../iam/authorizer.mjs';
import { UNKNOWN, arnMatches, evaluate } from '../iam/evaluate.mjs';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/items';
const decide = (statements, check, onUnsupported) => evaluate(statements, { context: {}, ...check }, { knownKeys: KNOWN_CONDITION_KEYS, onUnsupported }).decision;
const allow = (extra) => ({ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [TABLE], ...extra });

describe('local IAM evaluation', () => {
  it('allows what a statement allows, and denies everything else implicitly', () => {
    assert.equal(decide([allow()], { action: 'dynamodb:GetItem', resource: TABLE }), 'Allow');
    assert.equal(decide([allow()], { action: 'dynamodb:DeleteItem', resource: TABLE }), 'ImplicitDeny');
    assert.equal(decide([allow()], { action: 'dynamodb:GetItem', resource: `${TABLE}2` }), 'ImplicitDeny');
    assert.equal(decide([], { action: 'dynamodb:GetItem', resource: TABLE }), 'ImplicitDeny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    const statements = [{ Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['*'] }, { Effect: 'Deny', Action: ['dynamodb:DeleteItem'], Resource: [TABLE] }];
    assert.equal(decide(statements, { action: 'dynamodb:DeleteItem', resource: TABLE }), 'ExplicitDeny');
    assert.equal(decide(statements, { action: 'dynamodb:PutItem', resource: TABLE }), 'Allow');
  });

  it('matches actions without regard to case, with * and ? wildcards', () => {
    assert.equal(decide([allow({ Action: ['DynamoDB:get*'] })], { action: 'dynamodb:GetItem', resource: TABLE }), 'Allow');
    assert.equal(decide([allow({ Action: ['dynamodb:?etItem'] })], { action: 'dynamodb:GetItem', resource: TABLE }), 'Allow');
    assert.equal(decide([allow({ Action: ['dynamodb:Get'] })], { action: 'dynamodb:GetItem', resource: TABLE }), 'ImplicitDeny');
  });

  it('matches resources part by part: a wildcard spans / but not the colons between ARN parts', () => {
    assert.equal(arnMatches('arn:aws:dynamodb:*:*:table/items*', `${TABLE}/index/gsi1`), true);
    assert.equal(arnMatches('arn:aws:dynamodb:*:*:table/items', `${TABLE}/index/gsi1`), false);
    assert.equal(arnMatches('arn:aws:sqs:us-east-1:*:q-?', 'arn:aws:sqs:us-east-1:000000000000:q-1'), true);
    assert.equal(arnMatches('arn:aws:*:q-1', 'arn:aws:sqs:us-east-1:000000000000:q-1'), false);
    assert.equal(arnMatches('*', 'anything'), true);
    // A table grant does not cover its index: Query on a GSI needs the index ARN.
    assert.equal(decide([allow({ Action: ['dynamodb:Query'] })], { action: 'dynamodb:Query', resource: `${TABLE}/index/gsi1` }), 'ImplicitDeny');
  });

  it('understands NotAction and NotResource', () => {
    const everythingBut = { Effect: 'Allow', NotAction: ['dynamodb:DeleteItem'], Resource: ['*'] };
    assert.equal(decide([everythingBut], { action: 'dynamodb:PutItem', resource: TABLE }), 'Allow');
    assert.equal(decide([everythingBut], { action: 'dynamodb:DeleteItem', resource: TABLE }), 'ImplicitDeny');
    const denyElsewhere = { Effect: 'Deny', Action: ['*'], NotResource: [TABLE] };
    const statements = [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }, denyElsewhere];
    assert.equal(decide(statements, { action: 'dynamodb:GetItem', resource: TABLE }), 'Allow');
    assert.equal(decide(statements, { action: 'dynamodb:GetItem', resource: `${TABLE}2` }), 'ExplicitDeny');
  });

  it('evaluates String, Arn and Bool operators, their negations and IfExists, as AWS does for a missing key', () => {
    const region = { 'aws:requestedregion': 'us-east-1' };
    const check = (Condition, context = region) => decide([allow({ Condition })], { action: 'dynamodb:GetItem', resource: TABLE, context });
    assert.equal(check({ StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } }), 'Allow');
    assert.equal(check({ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }), 'ImplicitDeny');
    assert.equal(check({ StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } }), 'Allow');
    assert.equal(check({ StringLike: { 'aws:RequestedRegion': 'us-*' } }), 'Allow');
    assert.equal(check({ StringEqualsIgnoreCase: { 'aws:RequestedRegion': 'US-EAST-1' } }), 'Allow');
    assert.equal(check({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/items-*' } }, { 'aws:principalarn': 'arn:aws:iam::000000000000:role/items-api-role' }), 'Allow');
    assert.equal(check({ ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:role/other' } }, { 'aws:principalarn': 'arn:aws:iam::000000000000:role/items' }), 'Allow');
    // A key the request does not carry: false, but true for a negated operator and for IfExists.
    assert.equal(check({ StringEquals: { 'aws:PrincipalArn': 'x' } }), 'ImplicitDeny');
    assert.equal(check({ StringNotEquals: { 'aws:PrincipalArn': 'x' } }), 'Allow');
    assert.equal(check({ StringEqualsIfExists: { 'aws:PrincipalArn': 'x' } }), 'Allow');
    assert.equal(check({ Null: { 'aws:PrincipalArn': 'true' } }), 'Allow');
    assert.equal(check({ Null: { 'aws:RequestedRegion': 'true' } }), 'ImplicitDeny');
    // Every operator block and every key must hold.
    assert.equal(check({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' }, StringLike: { 'aws:RequestedRegion': 'eu-*' } }), 'ImplicitDeny');
  });

  it('evaluates ForAllValues / ForAnyValue on dynamodb:LeadingKeys, including AWS’s rule for an absent key', () => {
    const statement = allow({ Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ITEM#*'] } } });
    const check = (keys) => decide([statement], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:leadingkeys': keys } });
    assert.equal(check(['ITEM#1']), 'Allow');
    assert.equal(check(['ITEM#1', 'ORDER#2']), 'ImplicitDeny');
    assert.equal(check(undefined), 'Allow'); // ForAllValues of nothing is true, in AWS too
    const any = allow({ Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['a'] } } });
    assert.equal(decide([any], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:leadingkeys': undefined } }), 'ImplicitDeny');
    assert.equal(decide([any], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:leadingkeys': ['b', 'a'] } }), 'Allow');
  });

  it('fails closed on a malformed statement (no Action, no Resource), which IAM refuses: an Allow grants nothing, a Deny denies', () => {
    const check = { action: 'dynamodb:DeleteItem', resource: TABLE };
    assert.equal(decide([{ Effect: 'Allow', Resource: ['*'] }], check), 'ImplicitDeny');
    assert.equal(decide([{ Effect: 'Allow', Action: ['dynamodb:DeleteItem'] }], check), 'ImplicitDeny');
    assert.equal(decide([{ Effect: 'Allow' }], check), 'ImplicitDeny');
    assert.equal(decide([{ Effect: 'Allow', Action: ['dynamodb:DeleteItem'], NotAction: ['dynamodb:GetItem'], Resource: ['*'] }], check), 'ImplicitDeny');
    assert.equal(decide([allow({ Action: ['*'] }), { Effect: 'Deny', Resource: [TABLE] }], { action: 'dynamodb:GetItem', resource: TABLE }), 'ExplicitDeny');
  });

  it('fails closed on what it cannot evaluate: such an Allow grants nothing, such a Deny denies, and it says so', () => {
    const unsupported = [];
    const note = (what) => unsupported.push(what);
    const numeric = { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } };
    const sourceIp = { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } };
    assert.equal(decide([allow({ Condition: numeric })], { action: 'dynamodb:GetItem', resource: TABLE }, note), 'ImplicitDeny');
    assert.equal(decide([allow({ Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-1' } } })], { action: 'dynamodb:GetItem', resource: TABLE }, note), 'ImplicitDeny');
    assert.equal(decide([allow(), { Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: sourceIp }], { action: 'dynamodb:GetItem', resource: TABLE }, note), 'ExplicitDeny');
    // A known key whose value the layer cannot work out for this request (a Query on an index).
    const leading = allow({ Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['a'] } } });
    assert.equal(decide([leading], { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:leadingkeys': UNKNOWN } }, note), 'ImplicitDeny');
    assert.deepEqual(unsupported, [
      'NumericLessThan on aws:MultiFactorAuthAge',
      'StringEquals on aws:SourceVpc',
      'IpAddress on aws:SourceIp',
      'ForAllValues:StringEquals on dynamodb:LeadingKeys',
    ]);
  });
});
