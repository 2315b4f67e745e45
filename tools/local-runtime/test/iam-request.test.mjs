// Reading SDK requests as IAM sees them (who signed, which actions on which
// resources), and AWS's error for a refused one in each protocol.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNKNOWN } from '../iam/evaluate.mjs';
import { Unreadable, accessDeniedMessage, errorResponse, readAwsRequest, signerOf, wireProtocolOf } from '../iam/aws-request.mjs';
import { classifyPartiql } from '../iam/partiql.mjs';

const WHERE = { region: 'us-east-1', accountId: '000000000000', hashKeyOf: (table) => ({ items: 'pk', orders: 'pk' })[table] };
const TABLE = (name) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
const JSON_HEADERS = (target) => ({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target });
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const dynamodb = (operation, body, service = 'DynamoDB_20120810') =>
  readAwsRequest({ emulator: 'dynamodb', method: 'POST', headers: JSON_HEADERS(`${service}.${operation}`), path: '/', body: Buffer.from(JSON.stringify(body)), signingService: 'dynamodb' }, WHERE);
const form = (service, params, path = '/') =>
  readAwsRequest({ emulator: 'sns-sqs', method: 'POST', headers: FORM_HEADERS, path, body: Buffer.from(new URLSearchParams(params).toString()), signingService: service }, WHERE);
const S = (value) => ({ S: value });

describe('local IAM: reading a request', () => {
  it('takes the access key id, region and service from the SigV4 Authorization header', () => {
    const header = 'AWS4-HMAC-SHA256 Credential=LOCALFN0123456789ABC/20261127/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc';
    assert.deepEqual(signerOf(header), { accessKeyId: 'LOCALFN0123456789ABC', region: 'us-east-1', service: 'dynamodb' });
    assert.equal(signerOf(undefined), undefined);
  });

  it('maps a DynamoDB item operation to its action on the table, with the partition key as dynamodb:LeadingKeys', () => {
    assert.deepEqual(dynamodb('DeleteItem', { TableName: 'items', Key: { pk: S('ITEM#1'), sk: S('A') } }).checks, [
      { action: 'dynamodb:DeleteItem', resource: TABLE('items'), context: { 'dynamodb:leadingkeys': ['ITEM#1'] } },
    ]);
    assert.deepEqual(dynamodb('PutItem', { TableName: 'items', Item: { pk: S('ITEM#2'), name: S('n') } }).checks[0].context, { 'dynamodb:leadingkeys': ['ITEM#2'] });
    assert.equal(dynamodb('GetItem', { TableName: 'unknown-table', Key: { pk: S('x') } }).checks[0].context['dynamodb:leadingkeys'], UNKNOWN);
  });

  it('maps a Query or Scan on an index to the index ARN, and reads a Query’s partition key condition', () => {
    assert.deepEqual(dynamodb('Query', { TableName: 'items', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p' }).checks[0].resource, `${TABLE('items')}/index/gsi1`);
    const query = dynamodb('Query', {
      TableName: 'items',
      KeyConditionExpression: '#k = :k AND begins_with(sk, :s)',
      ExpressionAttributeNames: { '#k': 'pk' },
      ExpressionAttributeValues: { ':k': S('ITEM#1'), ':s': S('R') },
    });
    assert.deepEqual(query.checks[0], { action: 'dynamodb:Query', resource: TABLE('items'), context: { 'dynamodb:leadingkeys': ['ITEM#1'] } });
    assert.deepEqual(dynamodb('Scan', { TableName: 'items' }).checks[0].context, { 'dynamodb:leadingkeys': undefined });
  });

  it('checks each part of a transaction as its item action, on its own table', () => {
    const request = dynamodb('TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'orders', Item: { pk: S('ORDER#1') } } },
        { Update: { TableName: 'items', Key: { pk: S('ITEM#1') }, UpdateExpression: 'SET stock = stock - :q' } },
        { ConditionCheck: { TableName: 'items', Key: { pk: S('ITEM#2') }, ConditionExpression: 'attribute_exists(pk)' } },
        { Delete: { TableName: 'orders', Key: { pk: S('ORDER#0') } } },
      ],
    });
    assert.deepEqual(
      request.checks.map(({ action, resource }) => `${action} ${resource}`),
      [`dynamodb:PutItem ${TABLE('orders')}`, `dynamodb:UpdateItem ${TABLE('items')}`, `dynamodb:ConditionCheckItem ${TABLE('items')}`, `dynamodb:DeleteItem ${TABLE('orders')}`],
    );
    assert.equal(request.checks[0].context['dynamodb:enclosingoperation'], 'TransactWriteItems');
    assert.deepEqual(dynamodb('TransactGetItems', { TransactItems: [{ Get: { TableName: 'items', Key: { pk: S('ITEM#1') } } }] }).checks[0].action, 'dynamodb:GetItem');
  });

  it('checks a batch as BatchWriteItem / BatchGetItem on each table it touches', () => {
    const request = dynamodb('BatchWriteItem', {
      RequestItems: { items: [{ PutRequest: { Item: { pk: S('a') } } }, { DeleteRequest: { Key: { pk: S('b') } } }], orders: [{ PutRequest: { Item: { pk: S('c') } } }] },
    });
    assert.deepEqual(request.checks, [
      { action: 'dynamodb:BatchWriteItem', resource: TABLE('items'), context: { 'dynamodb:leadingkeys': ['a', 'b'] } },
      { action: 'dynamodb:BatchWriteItem', resource: TABLE('orders'), context: { 'dynamodb:leadingkeys': ['c'] } },
    ]);
  });

  it('maps PartiQL, account-wide operations and DynamoDB Streams calls', () => {
    assert.deepEqual(dynamodb('ExecuteStatement', { Statement: 'DELETE FROM "items" WHERE pk = ?' }).checks[0], { action: 'dynamodb:PartiQLDelete', resource: TABLE('items'), context: {} });
    assert.deepEqual(dynamodb('ListTables', {}).checks[0], { action: 'dynamodb:ListTables', resource: '*', context: {} });
    const stream = 'arn:aws:dynamodb:ddblocal:000000000000:table/items/stream/2026-11-27T13:49:49.061';
    assert.deepEqual(dynamodb('GetRecords', { ShardIterator: `${stream}|001|c2hhcmQ=` }, 'DynamoDBStreams_20120810').checks[0], { action: 'dynamodb:GetRecords', resource: stream, context: {} });
    assert.equal(dynamodb('DescribeStream', { StreamArn: stream }, 'DynamoDBStreams_20120810').checks[0].resource, stream);
  });

  it('reads SNS’s query protocol: Publish and PublishBatch are sns:Publish on the topic', () => {
    const topic = 'arn:aws:sns:us-east-1:000000000000:bus';
    assert.deepEqual(form('sns', { Action: 'Publish', Version: '2010-03-31', TopicArn: topic, Message: 'x' }), {
      service: 'sns',
      protocol: 'query',
      operation: 'Publish',
      checks: [{ action: 'sns:Publish', resource: topic, context: {} }],
      forwardHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
      params: { Action: 'Publish', Version: '2010-03-31', TopicArn: topic, Message: 'x' },
    });
    assert.equal(form('sns', { Action: 'PublishBatch', TopicArn: topic }).checks[0].action, 'sns:Publish');
    assert.equal(form('sns', { Action: 'CreateTopic', Name: 'other' }).checks[0].resource, 'arn:aws:sns:us-east-1:000000000000:other');
    assert.equal(form('sns', { Action: 'Unsubscribe', SubscriptionArn: `${topic}:7f6e` }).checks[0].resource, topic);
  });

  it('reads SQS’s JSON protocol, batches as their single action, on the queue’s ARN; refuses its query protocol, which fauxqs would serve as SNS', () => {
    const queueUrl = 'http://sqs.us-east-1.localhost:4566/000000000000/orders-dlq';
    const sqs = (operation, body) =>
      readAwsRequest({ emulator: 'sns-sqs', method: 'POST', headers: JSON_HEADERS(`AmazonSQS.${operation}`), path: '/', body: Buffer.from(JSON.stringify(body)), signingService: 'sqs' }, WHERE);
    const json = sqs('SendMessageBatch', { QueueUrl: queueUrl, Entries: [] });
    assert.deepEqual(json.checks, [{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:orders-dlq', context: {} }]);
    assert.equal(json.protocol, 'json');
    assert.deepEqual(json.forwardHeaders, { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessageBatch' });
    assert.equal(sqs('GetQueueUrl', { QueueName: 'orders' }).checks[0].resource, 'arn:aws:sqs:us-east-1:000000000000:orders');
    assert.throws(() => form('sqs', { Action: 'Publish', TopicArn: 'arn:aws:sns:us-east-1:000000000000:bus' }), (error) => error instanceof Unreadable && /SQS's query protocol/.test(error.message));
  });

  it('reads only POST / with its protocol’s Content-Type (and X-Amz-Target), and only the services of the emulator behind the proxy', () => {
    const wire = (emulator, method, path, headers, signingService) => wireProtocolOf({ emulator, method, path, headers, signingService });
    assert.deepEqual(wire('dynamodb', 'POST', '/', JSON_HEADERS('DynamoDB_20120810.GetItem'), 'dynamodb'), { service: 'dynamodb', protocol: 'json' });
    assert.deepEqual(wire('dynamodb', 'POST', '/', JSON_HEADERS('DynamoDBStreams_20120810.GetRecords'), 'dynamodb'), { service: 'dynamodb', protocol: 'json' });
    assert.deepEqual(wire('sns-sqs', 'POST', '/', JSON_HEADERS('AmazonSQS.SendMessage'), 'sqs'), { service: 'sqs', protocol: 'json' });
    assert.deepEqual(wire('sns-sqs', 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, 'sns'), { service: 'sns', protocol: 'query' });
    const refused = [
      // The repro: a DynamoDB target on a form, which fauxqs serves as SNS.
      ['sns-sqs', 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-target': 'DynamoDB_20120810.GetItem' }, 'dynamodb'],
      ['sns-sqs', 'POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-target': 'DynamoDB_20120810.GetItem' }, 'sns'],
      // fauxqs's own and S3's paths, and methods other than POST.
      ['sns-sqs', 'GET', '/_fauxqs/queues/orders', { 'content-type': 'application/x-www-form-urlencoded' }, 'sns'],
      ['sns-sqs', 'PUT', '/some-bucket', JSON_HEADERS('AmazonSQS.SendMessage'), 'sqs'],
      ['sns-sqs', 'POST', '/?Action=Publish', { 'content-type': 'application/x-www-form-urlencoded' }, 'sns'],
      ['dynamodb', 'POST', '/shell', JSON_HEADERS('DynamoDB_20120810.GetItem'), 'dynamodb'],
      // Another service's target through a proxy, a target repeated (Node joins them), no or another Content-Type.
      ['dynamodb', 'POST', '/', JSON_HEADERS('AmazonSQS.SendMessage'), 'sqs'],
      ['sns-sqs', 'POST', '/', JSON_HEADERS('DynamoDB_20120810.GetItem'), 'dynamodb'],
      ['dynamodb', 'POST', '/', JSON_HEADERS('DynamoDB_20120810.GetItem, DynamoDB_20120810.DeleteItem'), 'dynamodb'],
      ['dynamodb', 'POST', '/', { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, 'dynamodb'],
      ['dynamodb', 'POST', '/', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'DynamoDB_20120810.GetItem' }, 'dynamodb'],
      ['sns-sqs', 'POST', '/', { 'content-type': 'text/plain; x=application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' }, 'sqs'],
      ['sns-sqs', 'POST', '/', { ...JSON_HEADERS('AmazonSQS.SendMessage'), 'content-encoding': 'gzip' }, 'sqs'],
    ];
    for (const [emulator, method, path, headers, service] of refused) {
      const answer = wire(emulator, method, path, headers, service);
      assert.ok('refused' in answer, `${emulator} ${method} ${path} ${JSON.stringify(headers)}`);
    }
  });

  it('classifies a PartiQL statement only when it can exactly, and does not read a request with one it cannot', () => {
    assert.deepEqual(classifyPartiql('SELECT * FROM "items" WHERE pk = ?'), { action: 'PartiQLSelect', table: 'items' });
    assert.deepEqual(classifyPartiql('select a, "from" FROM "items"."gsi1" where pk = \'FROM "x"\''), { action: 'PartiQLSelect', table: 'items', index: 'gsi1' });
    assert.deepEqual(classifyPartiql('INSERT INTO "items" VALUE {\'pk\': ?, \'n\': 1}'), { action: 'PartiQLInsert', table: 'items' });
    assert.deepEqual(classifyPartiql('UPDATE "items" SET n = n + 1 WHERE pk = ? RETURNING ALL NEW *'), { action: 'PartiQLUpdate', table: 'items' });
    assert.deepEqual(classifyPartiql('  DELETE FROM "items" WHERE pk = ?'), { action: 'PartiQLDelete', table: 'items' });
    for (const statement of [
      '/* c */ DELETE FROM "allowed" WHERE pk = ?',
      'SELECT * /* FROM "allowed" */ FROM "victim"',
      'SELECT * FROM "allowed" -- FROM "x"',
      'SELECT * FROM "allowed" WHERE pk IN (SELECT pk FROM "victim")',
      'EXISTS(SELECT * FROM "allowed" WHERE pk = ?)',
      'SELECT * FROM items',
      'SELECT * FROM "a""b"',
      'DELETE FROM "allowed"."gsi1" WHERE pk = ?',
      'SELECT * FROM "allowed"; DELETE FROM "victim"',
      'SELECT * FROM "allowed" WHERE pk = \'unterminated',
      'SELECT * FROM\u00a0"allowed"',
      'UPSERT INTO "allowed" VALUE {}',
    ]) {
      assert.ok('unclassifiable' in classifyPartiql(statement), statement);
    }
    assert.deepEqual(dynamodb('ExecuteTransaction', { TransactStatements: [{ Statement: 'SELECT * FROM "items"' }, { Statement: 'DELETE FROM "orders" WHERE pk = ?' }] }).checks.map((check) => check.action), [
      'dynamodb:PartiQLSelect',
      'dynamodb:PartiQLDelete',
    ]);
    assert.throws(() => dynamodb('ExecuteStatement', { Statement: '/* c */ DELETE FROM "items" WHERE pk = ?' }), Unreadable);
    assert.throws(() => dynamodb('BatchExecuteStatement', { Statements: [{ Statement: 'SELECT * FROM "items"' }, { Statement: 'SELECT * /* FROM "items" */ FROM "orders"' }] }), Unreadable);
    // The field its operation reads, not another beside it.
    assert.throws(() => dynamodb('ExecuteTransaction', { Statement: 'SELECT * FROM "items"', TransactStatements: [] }), Unreadable);
  });

  it('answers a refusal in each protocol’s error shape, worded as AWS does', () => {
    const principalArn = 'arn:aws:sts::000000000000:assumed-role/r/f';
    const message = accessDeniedMessage({ principalArn, action: 'dynamodb:DeleteItem', resource: TABLE('items'), explicit: false, service: 'dynamodb' });
    assert.equal(message, `User: ${principalArn} is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE('items')} because no identity-based policy allows the dynamodb:DeleteItem action`);
    const ddb = errorResponse({ service: 'dynamodb', protocol: 'json' }, 'AccessDenied', message);
    assert.equal(ddb.status, 400);
    assert.deepEqual(JSON.parse(ddb.body), { __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message });

    const sns = errorResponse({ service: 'sns', protocol: 'query' }, 'AccessDenied', 'a <b> & c');
    assert.equal(sns.status, 403);
    assert.match(sns.body, /^<ErrorResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>AuthorizationError<\/Code><Message>a &#60;b&#62; &#38; c<\/Message>/);

    const sqs = errorResponse({ service: 'sqs', protocol: 'json' }, 'AccessDenied', 'm');
    assert.equal(sqs.status, 403);
    assert.equal(sqs.headers['x-amzn-query-error'], 'AccessDenied;Sender');
    assert.match(accessDeniedMessage({ principalArn, action: 'sqs:SendMessage', resource: 'q', explicit: true, service: 'sqs' }), /perform: sqs:sendmessage on resource: q with an explicit deny in an identity-based policy$/);
  });
});
