// What the rehearsal says about a stack moto deployed: created, skipped
// (with the check that covers the type instead), off by a condition, or
// missing for no reason moto gave; and the deploy order it takes from Nx.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEVER_VERIFIED, SKIPPED_ALLOWED, classify, countByType } from '../lib/coverage.mjs';
import { topologicalOrder } from '../lib/workspace.mjs';

const TEMPLATE = {
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic' },
    TopicPolicy: { Type: 'AWS::SNS::TopicPolicy' },
    Subscription: { Type: 'AWS::SNS::Subscription', Condition: 'HasEmail' },
    Rule: { Type: 'AWS::Events::Rule' },
    Widget: { Type: 'AWS::Made::Up' },
    Queue: { Type: 'AWS::SQS::Queue', Condition: 'IsProd' },
  },
};

describe('coverage', () => {
  it('every allow-listed type names the check that covers it: the template policy test, cfn-lint or the local stack', () => {
    for (const [type, check] of Object.entries(SKIPPED_ALLOWED)) {
      assert.match(type, /^AWS::\w+::\w+$/);
      assert.match(check, /template policy test|cfn-lint|local stack/, type);
    }
    for (const [what, why] of NEVER_VERIFIED) assert.ok(what && why);
  });

  it('sorts a template’s resources by what moto did with them', () => {
    const { made, skipped, conditional, unexplained, notAllowed } = classify(
      TEMPLATE,
      new Set(['Topic']),
      new Set(['AWS::SNS::TopicPolicy', 'AWS::SNS::Subscription', 'AWS::Made::Up']),
    );
    assert.deepEqual(made.map((r) => r.id), ['Topic']);
    // A conditional resource of a skipped type counts as skipped: never as made.
    assert.deepEqual(skipped.map((r) => `${r.id} ${Boolean(r.coveredBy)}`), ['TopicPolicy true', 'Subscription true', 'Widget false']);
    assert.deepEqual(conditional.map((r) => `${r.id} ${r.condition}`), ['Queue IsProd']);
    assert.deepEqual(unexplained.map((r) => r.id), ['Rule']);
    assert.deepEqual(notAllowed, ['AWS::Made::Up']);
  });

  it('counts resources by type', () => {
    assert.equal(countByType([{ type: 'A' }, { type: 'B' }, { type: 'A' }]), 'A ×2, B');
  });

  it('orders deploys after what they depend on, the rest by name', () => {
    assert.deepEqual(
      topologicalOrder({ 'notifier:deploy': ['event-bus:deploy'], 'event-bus:deploy': [], 'items-api:deploy': ['event-bus:deploy'] }),
      ['event-bus:deploy', 'items-api:deploy', 'notifier:deploy'],
    );
    assert.throws(() => topologicalOrder({ 'a:deploy': ['b:deploy'], 'b:deploy': ['a:deploy'] }), /a cycle/);
  });
});
