// What the local IAM layer's proxies saw the functions write, and how a failed
// request's line says it: whose a write was, and when the local layer cannot tell.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWriteLog, describeWrites } from '../iam/write-log.mjs';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/svc-local-things';
const put = { action: 'dynamodb:PutItem', resource: TABLE_ARN };
const body = (object) => Buffer.from(JSON.stringify(object));

/** A write log on a clock the test sets. */
const logAt = () => {
  let now = 1_000;
  const writes = createWriteLog({ now: () => now, capacity: 4 });
  return { writes, at: (time) => (now = time) };
};

describe('the write log', () => {
  it('keeps only writes: a read, a query or a condition check is none', () => {
    const { writes } = logAt();
    assert.equal(writes.begin({ functionName: 'f', operation: 'GetItem', checks: [{ action: 'dynamodb:GetItem', resource: TABLE_ARN }], body: body({}) }), undefined);
    assert.equal(writes.begin({ functionName: 'f', operation: 'TransactWriteItems', checks: [{ action: 'dynamodb:ConditionCheckItem', resource: TABLE_ARN }], body: body({}) }), undefined);
    const write = writes.begin({ functionName: 'f', operation: 'TransactWriteItems', checks: [put, { action: 'dynamodb:ConditionCheckItem', resource: TABLE_ARN }], body: body({}) });
    assert.deepEqual(write?.targets, ['svc-local-things']);
  });

  it("counts what a function wrote while an invocation ran alone as that invocation's, answered or refused", async () => {
    const { writes, at } = logAt();
    at(1_500);
    writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({}) })?.settle(200);
    at(1_600);
    writes.begin({ functionName: 'f', operation: 'TransactWriteItems', checks: [put], body: body({}) })?.settle(400);
    at(1_700);
    writes.begin({ functionName: 'other', operation: 'PutItem', checks: [put], body: body({}) })?.settle(200);
    at(9_000);
    writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({}) })?.settle(200);
    const found = await writes.writesOf({ functionName: 'f', startedAt: 1_000, endedAt: 2_000, alone: true });
    assert.equal(describeWrites(found), 'wrote: PutItem on svc-local-things; refused by the emulator: TransactWriteItems on svc-local-things');
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'f', startedAt: 3_000, endedAt: 4_000, alone: true })), 'wrote nothing');
  });

  it('tells an invocation’s writes from its neighbours’ by the request id they carry, and says when it cannot', async () => {
    const { writes, at } = logAt();
    at(1_100);
    writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({ Item: { pk: { S: 'a' }, correlationId: { S: 'REQ-1' } } }) })?.settle(200);
    at(1_200);
    writes.begin({ functionName: 'f', operation: 'UpdateItem', checks: [put], body: body({ ExpressionAttributeValues: { ':correlationId': { S: 'REQ-2' } } }) })?.settle(200);
    const mine = await writes.writesOf({ functionName: 'f', marker: 'REQ-1', startedAt: 1_000, endedAt: 2_000, alone: false });
    assert.equal(describeWrites(mine), 'wrote: PutItem on svc-local-things');
    at(1_300);
    writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({ Item: { pk: { S: 'b' } } }) })?.settle(200);
    const unclear = await writes.writesOf({ functionName: 'f', marker: 'REQ-3', startedAt: 1_000, endedAt: 2_000, alone: false });
    assert.equal(describeWrites(unclear), "writes unknown (1 write(s) by this function while other invocations of it ran, none carrying this request's id)");
  });

  it('waits a moment for the answer to a write still in flight, then says it may have been written', async () => {
    const { writes } = logAt();
    const late = writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({}) });
    setTimeout(() => late?.settle(200), 30);
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'f', startedAt: 0, endedAt: 2_000, alone: true })), 'wrote: PutItem on svc-local-things');
    writes.begin({ functionName: 'g', operation: 'PutItem', checks: [put], body: body({}) });
    const started = Date.now();
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'g', startedAt: 0, endedAt: 2_000, alone: true })), 'may have written: PutItem on svc-local-things (sent to the emulator, not answered when asked)');
    // The connection to the emulator broke before its answer: the same.
    writes.begin({ functionName: 'h', operation: 'PutItem', checks: [put], body: body({}) })?.settle(0);
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'h', startedAt: 0, endedAt: 2_000, alone: true })), 'may have written: PutItem on svc-local-things (sent to the emulator, not answered when asked)');
    assert.ok(Date.now() - started >= 900);
  });

  it('says unknown once the writes of the time asked about are no longer kept', async () => {
    const { writes, at } = logAt();
    for (let time = 1_000; time < 1_006; time += 1) {
      at(time);
      writes.begin({ functionName: 'f', operation: 'PutItem', checks: [put], body: body({}) })?.settle(200);
    }
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'f', startedAt: 900, endedAt: 2_000, alone: true })), 'writes unknown (more than 4 writes since it started: the oldest are no longer kept)');
    assert.equal(describeWrites(await writes.writesOf({ functionName: 'f', startedAt: 1_003, endedAt: 2_000, alone: true })), 'wrote: 3 × PutItem on svc-local-things');
  });
});
