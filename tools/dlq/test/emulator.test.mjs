// The DLQ operations and the CLI against the real SNS/SQS emulator (fauxqs,
// as `npm start` runs it), with the services' queues created as their
// templates declare them: fast, and every SQS call is a real one.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startSnsSqs } from '@platform/local-runtime/emulators/sns-sqs';
import { localClientConfig } from '@platform/local-runtime/aws';
import { DlqError, findDeadLetterQueue, isProductionStage, listDeadLetterQueues, localTarget, peekMessages, redrive } from '../lib/index.mjs';
import { countsOf, drain, envelope, isolatedEnv, run, runProcess, urlOf } from './helpers.mjs';

const SERVICES = ['event-bus', 'items-api', 'notifier', 'order-processor'];
const DLQ = 'items-api-local-order-placed-dlq';
const SOURCE = 'items-api-local-order-placed';
const RELAY_DLQ = 'items-api-local-domain-events-relay-dlq';

/** @type {Awaited<ReturnType<typeof startSnsSqs>>} */
let emulator;
/** @type {SQSClient} */
let sqs;
/** @type {NodeJS.ProcessEnv} */
let env;
/** @type {import('../lib/target.mjs').Target} */
let target;

/** @param {string} name @param {Record<string, string>} [attributes] */
const createQueue = async (name, attributes = {}) => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return /** @type {string} */ (Attributes.QueueArn);
};

/** A queue and its DLQ, as the services' serverless.yml declare them. @param {string} name */
const createConsumerQueue = async (name) => {
  const dlqArn = await createQueue(`${name}-dlq`, { MessageRetentionPeriod: '1209600' });
  await createQueue(name, { VisibilityTimeout: '36', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) });
};

/** Puts messages straight into a queue (as the redrive policy would). @param {string} queue @param {string[]} bodies */
const put = async (queue, bodies, attributes = { type: { DataType: 'String', StringValue: 'order.placed' } }) => {
  const url = await urlOf(sqs, queue);
  for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
};

const orderPlaced = (n) => envelope('order.placed', `order.placed:order-${n}`, { orderId: `order-${n}`, itemId: 'item-1', quantity: 1, customerEmail: 'ada@example.com' });

/** An SQS client whose `send` fails once, on the `nth` command of a kind, as a crash there would stop a redrive. */
const failingOn = (Command, nth) => {
  let seen = 0;
  return {
    ...target,
    sqs: /** @type {any} */ ({
      send: (command, ...rest) => {
        if (command instanceof Command && ++seen === nth) return Promise.reject(new Error(`injected ${Command.name} failure`));
        return sqs.send(command, ...rest);
      },
    }),
  };
};

before(async () => {
  emulator = await startSnsSqs(0);
  sqs = new SQSClient(localClientConfig(emulator.endpoint));
  env = isolatedEnv({ SNS_SQS_PORT: String(emulator.port) });
  target = localTarget({ env, services: SERVICES });
  await createConsumerQueue(SOURCE);
  await createConsumerQueue('notifier-local-order-outcomes');
  await createConsumerQueue('order-processor-local-stock-answers');
  await createQueue(RELAY_DLQ, { MessageRetentionPeriod: '1209600' });
  await createQueue('order-processor-local-order-events-relay-dlq');
  // Named like a DLQ, but no queue's RedrivePolicy names it; its short name is also order-processor's DLQ's.
  await createQueue('notifier-local-stock-answers-dlq');
  // Another stage on the same emulator, standing in for a deployed one (see the AWS-path tests).
  await createConsumerQueue('items-api-dev-order-placed');
});

after(async () => {
  target.sqs.destroy();
  sqs.destroy();
  await emulator.stop();
});

beforeEach(async () => {
  for (const name of [DLQ, SOURCE, RELAY_DLQ, 'items-api-dev-order-placed', 'items-api-dev-order-placed-dlq']) {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: await urlOf(sqs, name) }));
  }
});

describe('list', () => {
  it('shows each DLQ with its depth, in-flight count, oldest message and source queue', async () => {
    await put(DLQ, [orderPlaced(1), orderPlaced(2)]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const queues = await listDeadLetterQueues(target);
    assert.deepEqual(
      queues.map((q) => [q.name, q.kind, q.sources.map((s) => s.name)]),
      [
        [RELAY_DLQ, 'stream-failures', []],
        [DLQ, 'redrive', [SOURCE]],
        ['notifier-local-order-outcomes-dlq', 'redrive', ['notifier-local-order-outcomes']],
        ['notifier-local-stock-answers-dlq', 'orphan', []],
        ['order-processor-local-order-events-relay-dlq', 'stream-failures', []],
        ['order-processor-local-stock-answers-dlq', 'redrive', ['order-processor-local-stock-answers']],
      ],
    );
    const dlq = queues.find((q) => q.name === DLQ);
    assert.equal(dlq?.depth, 2);
    assert.equal(dlq?.inFlight, 0);
    assert.equal(dlq?.sampled, 2);
    assert.equal(dlq?.ageIsLowerBound, false);
    assert.ok((dlq?.oldestAgeSeconds ?? 0) >= 1, `oldest ${dlq?.oldestAgeSeconds}`);
    assert.equal(dlq?.sources[0]?.maxReceiveCount, 3);
    // The peek for the age handed every message back.
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });

    const { code, out } = await run(['list'], env);
    assert.equal(code, 0);
    assert.match(out, new RegExp(`${DLQ}\\s+2\\s+0\\s+\\ds\\s+${SOURCE} \\(after 3 receives\\)`));
    assert.match(out, new RegExp(`${RELAY_DLQ}\\s+0\\s+0\\s+-\\s+none: failed stream batches`));
  });

  it('says the age is a lower bound when it sampled only some messages', async () => {
    await put(DLQ, Array.from({ length: 12 }, (_, n) => orderPlaced(n)));
    const dlq = (await listDeadLetterQueues(target)).find((q) => q.name === DLQ);
    assert.equal(dlq?.depth, 12);
    assert.equal(dlq?.sampled, 10);
    assert.equal(dlq?.ageIsLowerBound, true);
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 12, inFlight: 0 });
  });
});

describe('peek', () => {
  it('shows messages with their event id and type, attributes and receive count, and consumes none', async () => {
    await put(DLQ, Array.from({ length: 15 }, (_, n) => orderPlaced(n)));
    const dlq = await findDeadLetterQueue(target, 'order-placed-dlq');
    const first = await peekMessages(target, dlq, { max: 15 });
    assert.equal(first.length, 15);
    assert.equal(new Set(first.map((m) => m.messageId)).size, 15, 'no message shown twice');
    assert.deepEqual(first.map((m) => m.event?.id).sort(), Array.from({ length: 15 }, (_, n) => `order.placed:order-${n}`).sort());
    assert.ok(first.every((m) => m.event?.type === 'order.placed' && m.messageAttributes.type === 'order.placed' && m.sentAt));
    // Visible again at once, not after a visibility timeout.
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 15, inFlight: 0 });
    // Every peek is a receive: it shows in ApproximateReceiveCount.
    const again = await peekMessages(target, dlq, { max: 15 });
    const countBefore = new Map(first.map((m) => [m.messageId, m.receiveCount]));
    assert.ok(again.every((m) => m.receiveCount === (countBefore.get(m.messageId) ?? NaN) + 1));
    assert.equal((await drain(sqs, DLQ)).length, 15);
  });

  it('prints them through the CLI, and shows a relay DLQ’s failed stream batch', async () => {
    await put(DLQ, [orderPlaced(1)]);
    const peeked = await run(['peek', DLQ], env);
    assert.equal(peeked.code, 0, peeked.err);
    assert.match(peeked.out, /1 of ~1 message\(s\) shown, none consumed/);
    assert.match(peeked.out, /event {7}order\.placed {2}id order\.placed:order-1 {2}source order-processor/);
    assert.match(peeked.out, /attributes {2}type=order\.placed/);

    // What Lambda sends to a DynamoDB stream source's on-failure destination.
    const failure = {
      requestContext: { requestId: 'r-1', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:items-api-local-publishDomainEvents', condition: 'RecordAgeExceeded', approximateInvokeCount: 40 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: { shardId: 'shardId-0001', startSequenceNumber: '100', endSequenceNumber: '120', batchSize: 3, streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/items-api-local-items/stream/x' },
    };
    await put(RELAY_DLQ, [JSON.stringify(failure)], {});
    const relay = await run(['peek', 'domain-events-relay-dlq'], env);
    assert.equal(relay.code, 0, relay.err);
    assert.match(relay.out, /stream batch {2}shard shardId-0001 {2}sequence 100 … 120 {2}3 record\(s\)/);
    assert.match(relay.out, /condition=RecordAgeExceeded/);
  });
});

describe('redrive', () => {
  it('moves messages back to the source queue with their body and attributes, up to --max', async () => {
    await put(DLQ, [orderPlaced(1), orderPlaced(2), orderPlaced(3)]);
    const limited = await run(['redrive', 'order-placed-dlq', '--max', '2'], env);
    assert.equal(limited.code, 0, limited.err);
    assert.match(limited.out, /Moved 2 message\(s\) from items-api-local-order-placed-dlq to items-api-local-order-placed\./);
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 1, inFlight: 0 });
    const all = await run(['redrive', 'order-placed-dlq'], env);
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /moved 1\/1: .+ → items-api-local-order-placed/);
    const moved = await drain(sqs, SOURCE);
    assert.deepEqual(moved.map((m) => JSON.parse(m.Body ?? '').id).sort(), ['order.placed:order-1', 'order.placed:order-2', 'order.placed:order-3']);
    assert.ok(moved.every((m) => m.MessageAttributes?.type?.StringValue === 'order.placed' && m.MessageAttributes?.type?.DataType === 'String'));
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 0, inFlight: 0 });
  });

  it('loses nothing when interrupted between the send and the delete: at most a duplicate', async () => {
    const bodies = [1, 2, 3, 4, 5].map(orderPlaced);
    await put(DLQ, bodies);
    const dlq = await findDeadLetterQueue(target, DLQ);
    // The 2nd delete fails: message 2 is already in the source queue, and still in the DLQ.
    await assert.rejects(redrive(failingOn(DeleteMessageCommand, 2), dlq), /injected DeleteMessageCommand failure/);
    assert.deepEqual(await countsOf(sqs, SOURCE), { visible: 2, inFlight: 0 });
    // Handed back at once, not hidden for the visibility timeout.
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 4, inFlight: 0 });

    const rerun = await redrive(target, dlq);
    assert.equal(rerun.moved, 4);
    const moved = (await drain(sqs, SOURCE)).map((m) => m.Body ?? '');
    assert.equal(moved.length, 6);
    assert.deepEqual([...new Set(moved)].sort(), [...bodies].sort(), 'every message arrived');
    assert.equal(moved.length - new Set(moved).size, 1, 'one duplicate, which idempotent consumers drop');
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 0, inFlight: 0 });
  });

  it('moves nothing for a message whose send failed, and hands it back at once', async () => {
    await put(DLQ, [orderPlaced(1), orderPlaced(2)]);
    const dlq = await findDeadLetterQueue(target, DLQ);
    await assert.rejects(redrive(failingOn(SendMessageCommand, 1), dlq), /injected SendMessageCommand failure/);
    assert.deepEqual(await countsOf(sqs, SOURCE), { visible: 0, inFlight: 0 });
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });
  });

  it('stops after the current message when interrupted (Ctrl-C), leaving the rest in the DLQ', async () => {
    await put(DLQ, [1, 2, 3].map(orderPlaced));
    const dlq = await findDeadLetterQueue(target, DLQ);
    const interrupt = new AbortController();
    const result = await redrive(target, dlq, { signal: interrupt.signal, onProgress: (p) => p.type === 'moved' && interrupt.abort() });
    assert.deepEqual([result.moved, result.interrupted], [1, true]);
    assert.deepEqual(await countsOf(sqs, SOURCE), { visible: 1, inFlight: 0 });
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });
  });

  it('ends even when redriven messages fail again at once, leaving those in the DLQ', async () => {
    await put(DLQ, [orderPlaced(1), orderPlaced(2)]);
    const dlq = await findDeadLetterQueue(target, DLQ);
    const dlqUrl = await urlOf(sqs, DLQ);
    // Each message sent back lands in the DLQ again straight away, as a still-poisonous one would.
    const bouncing = {
      ...target,
      sqs: /** @type {any} */ ({
        send: async (command, ...rest) => {
          const answer = await sqs.send(command, ...rest);
          if (command instanceof SendMessageCommand) await sqs.send(new SendMessageCommand({ ...command.input, QueueUrl: dlqUrl }));
          return answer;
        },
      }),
    };
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await redrive(bouncing, dlq);
    assert.equal(result.moved, 2);
    assert.equal(result.skipped, 2);
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });
  });

  it('refuses a relay DLQ (stream-batch coordinates) with one line saying what to do instead, and changes nothing', async () => {
    await put(RELAY_DLQ, ['{"DDBStreamBatchInfo":{}}'], {});
    const { code, out, err } = await runProcess(['redrive', RELAY_DLQ], env);
    assert.equal(code, 1);
    assert.equal(out, '');
    assert.equal(err.trim().split('\n').length, 1, err);
    assert.match(err, /^dlq: refusing to redrive items-api-local-domain-events-relay-dlq: it holds the coordinates of stream batches .* re-publish/);
    assert.deepEqual(await countsOf(sqs, RELAY_DLQ), { visible: 1, inFlight: 0 });
  });
});

describe('purge', () => {
  it('needs --yes, then empties the queue', async () => {
    await put(DLQ, [orderPlaced(1), orderPlaced(2)]);
    const refused = await runProcess(['purge', 'order-placed-dlq'], env);
    assert.equal(refused.code, 1);
    assert.equal(refused.err, 'dlq: refusing to purge without --yes: purging deletes every message of the queue for good\n');
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 2, inFlight: 0 });
    const purged = await run(['purge', 'order-placed-dlq', '--yes'], env);
    assert.equal(purged.code, 0, purged.err);
    assert.equal(purged.out, `Purged ${DLQ}: 2 message(s) deleted.\n`);
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 0, inFlight: 0 });
  });

  it('refuses a stage named like production unless --force, before looking anything up', async () => {
    // No credentials at all: the refusal comes before any AWS call.
    for (const stage of ['prod', 'Production', 'eu-prd', 'live']) {
      const { code, out, err } = await runProcess(['purge', 'order-placed-dlq', '--stage', stage, '--yes'], isolatedEnv({ AWS_REGION: 'eu-west-1' }));
      assert.equal(code, 1, stage);
      assert.equal(out, '');
      assert.equal(err, `dlq: refusing to purge on stage ${stage}, which is named like production: pass --yes --force to delete its messages for good\n`);
    }
    // With --force it goes on, here as far as the missing credentials.
    const forced = await runProcess(['purge', 'order-placed-dlq', '--stage', 'prod', '--yes', '--force'], isolatedEnv({ AWS_REGION: 'eu-west-1' }));
    assert.match(forced.err, /^dlq: no AWS credentials found for stage prod/);
    assert.deepEqual(
      ['prod', 'PROD', 'production', 'prd', 'live', 'eu-prod', 'prod-2', 'prod_eu', 'dev', 'preprod', 'livestock', 'staging', 'local', 'products'].map((s) => [s, isProductionStage(s)]),
      [
        ['prod', true],
        ['PROD', true],
        ['production', true],
        ['prd', true],
        ['live', true],
        ['eu-prod', true],
        ['prod-2', true],
        ['prod_eu', true],
        ['dev', false],
        ['preprod', false],
        ['livestock', false],
        ['staging', false],
        ['local', false],
        ['products', false],
      ],
    );
  });
});

describe('expected errors: one line on stderr, a non-zero exit, nothing changed', () => {
  /** @param {{ code: number | null, out: string, err: string }} result @param {RegExp} line */
  const oneLine = (result, line, code = 1) => {
    assert.equal(result.code, code, result.err);
    assert.equal(result.out, '');
    assert.equal(result.err.split('\n').filter(Boolean).length, 1, result.err);
    assert.match(result.err, line);
  };

  it('an unknown, ambiguous or non-DLQ queue', async () => {
    await put(DLQ, [orderPlaced(1)]);
    oneLine(await runProcess(['redrive', 'nope-dlq'], env), /^dlq: unknown queue nope-dlq on the local stack \(http:\/\/127\.0\.0\.1:\d+\); dead-letter queues: items-api-local-domain-events-relay-dlq, /);
    oneLine(await runProcess(['peek', 'order-placed'], env), /^dlq: items-api-local-order-placed is not a dead-letter queue/);
    oneLine(
      await runProcess(['purge', 'stock-answers-dlq', '--yes'], env),
      /^dlq: ambiguous queue stock-answers-dlq: it could be notifier-local-stock-answers-dlq or order-processor-local-stock-answers-dlq$/m,
    );
    assert.deepEqual(await countsOf(sqs, DLQ), { visible: 1, inFlight: 0 });
  });

  it('an endpoint nobody answers on', async () => {
    oneLine(await runProcess(['list'], isolatedEnv({ SNS_SQS_PORT: '1' })), /^dlq: cannot reach the local SNS\/SQS emulator at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\): start the local stack with `npm start`/);
  });

  it('missing AWS credentials, and no region', async () => {
    oneLine(await runProcess(['list', '--stage', 'dev'], isolatedEnv({ AWS_REGION: 'eu-west-1' })), /^dlq: no AWS credentials found for stage dev: set AWS_PROFILE/);
    oneLine(await runProcess(['list', '--stage', 'dev'], isolatedEnv({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' })), /^dlq: no AWS region: pass --region or set AWS_REGION/);
  });

  it('a stage with no queues', async () => {
    const aws = isolatedEnv({ AWS_ENDPOINT_URL_SQS: emulator.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    oneLine(await runProcess(['list', '--stage', 'qa'], aws), /^dlq: no queues found for stage qa in AWS \(us-east-1\) \(services: event-bus, items-api, notifier, order-processor\): wrong stage, region or account\?/);
  });

  it('a wrong command line exits 2', async () => {
    oneLine(await runProcess(['redrive'], env), /^dlq: redrive needs a queue/, 2);
    oneLine(await runProcess(['frobnicate'], env), /^dlq: unknown command frobnicate/, 2);
    oneLine(await runProcess(['peek', DLQ, '--max', 'lots'], env), /^dlq: --max must be a whole number from 1, got lots/, 2);
    oneLine(await runProcess(['list', '--colour'], env), /^dlq: Unknown option '--colour'/, 2);
  });
});

describe('the AWS path (--stage), against the emulator standing in for SQS', () => {
  it('finds the stage’s queues by prefix and, as the emulator has no StartMessageMoveTask, redrives one by one', async () => {
    await put('items-api-dev-order-placed-dlq', [orderPlaced(7)]);
    const aws = isolatedEnv({ AWS_ENDPOINT_URL_SQS: emulator.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    const listed = await runProcess(['list', '--stage', 'dev', '--no-age'], aws);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /Dead-letter queues of stage dev in AWS \(us-east-1\), stage dev:\nQUEUE .*\nitems-api-dev-order-placed-dlq\s+1\s+0\s+-\s+items-api-dev-order-placed \(after 3 receives\)\n$/);
    const moved = await runProcess(['redrive', 'order-placed-dlq', '--stage', 'dev'], aws);
    assert.equal(moved.code, 0, moved.err);
    assert.match(moved.out, /has no StartMessageMoveTask; moving messages one by one instead/);
    assert.match(moved.out, /Moved 1 message\(s\) from items-api-dev-order-placed-dlq to items-api-dev-order-placed\./);
    assert.equal((await drain(sqs, 'items-api-dev-order-placed')).length, 1);
  });
});

describe('the library', () => {
  it('throws DlqError with a code a web console can act on', async () => {
    await assert.rejects(findDeadLetterQueue(target, 'nope'), (error) => error instanceof DlqError && error.code === 'UNKNOWN_QUEUE');
    const relay = await findDeadLetterQueue(target, RELAY_DLQ);
    await assert.rejects(redrive(target, relay), (error) => error instanceof DlqError && error.code === 'NOT_REDRIVABLE');
    const orphan = await findDeadLetterQueue(target, 'notifier-local-stock-answers-dlq');
    await assert.rejects(redrive(target, orphan), (error) => error instanceof DlqError && error.code === 'NO_SOURCE');
  });
});
