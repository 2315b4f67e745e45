// What an AWS SDK request to the local emulators asks for, in IAM's terms:
// who signed it (the access key id of its SigV4 Authorization header) and
// which actions on which resources it needs (the "checks"), read from only
// the parts of the request that say so. And what AWS answers when one of
// them is not allowed, in each protocol's own error shape.
//
// Protocols, as the AWS SDK for JavaScript v3 in node_modules sends them:
//   DynamoDB and DynamoDB Streams: JSON 1.0, X-Amz-Target DynamoDB_20120810.<Op> / DynamoDBStreams_20120810.<Op>
//   SQS: JSON 1.0, X-Amz-Target AmazonSQS.<Op> (query protocol, Action=<Op>, also understood)
//   SNS: query protocol, a form-encoded body with Action=<Op>
import { randomUUID } from 'node:crypto';
import { UNKNOWN } from './evaluate.mjs';

/** @typedef {import('./evaluate.mjs').Check} Check */
/** @typedef {{ service: 'dynamodb' | 'sns' | 'sqs', protocol: 'json' | 'query', operation: string, checks: Check[] }} AwsRequest */

/**
 * The access key id, region and service of a SigV4 `Authorization` header:
 * `AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/<service>/aws4_request, …`.
 * @param {string | undefined} authorization
 */
export const signerOf = (authorization) => {
  const match = /Credential=([^/,\s]+)\/[^/]*\/([^/]*)\/([^/]*)\//.exec(authorization ?? '');
  return match ? { accessKeyId: match[1] ?? '', region: match[2] ?? '', service: match[3] ?? '' } : undefined;
};

// ---- DynamoDB ----

const DYNAMODB_TARGET = 'DynamoDB_20120810.';
const STREAMS_TARGET = 'DynamoDBStreams_20120810.';
// TransactWriteItems/TransactGetItems are authorized as their parts; each part needs its own action (Put: PutItem, …).
/** @type {Record<string, string>} */
const TRANSACT_PARTS = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
/** @type {Record<string, string>} */
const PARTIQL_ACTIONS = { SELECT: 'PartiQLSelect', INSERT: 'PartiQLInsert', UPDATE: 'PartiQLUpdate', DELETE: 'PartiQLDelete' };

/** The single value of a DynamoDB AttributeValue ({S: 'x'}, {N: '1'}, {B: '…'}). @param {any} attributeValue */
const scalar = (attributeValue) => {
  const value = attributeValue && Object.values(attributeValue)[0];
  return typeof value === 'string' ? value : undefined;
};

/**
 * What a DynamoDB (or DynamoDB Streams) request needs.
 * @param {string} target  the X-Amz-Target header
 * @param {any} body  the parsed JSON body
 * @param {{ region: string, accountId: string, hashKeyOf: (tableName: string) => string | undefined }} where
 * @returns {{ operation: string, checks: Check[] } | undefined}
 */
export const dynamodbChecks = (target, body, { region, accountId, hashKeyOf }) => {
  /** @param {string} name */
  const tableArn = (name) => (name.startsWith('arn:') ? name : `arn:aws:dynamodb:${region}:${accountId}:table/${name}`);
  /** @param {string} name */
  const tableNameOf = (name) => (name.startsWith('arn:') ? name.split(':table/')[1]?.split('/')[0] ?? name : name);
  /** dynamodb:LeadingKeys of a request on one table: the partition key values it touches. @param {string} tableName @param {any[]} rows */
  const leadingKeys = (tableName, rows) => {
    const hashKey = hashKeyOf(tableNameOf(tableName));
    const values = hashKey ? rows.map((row) => scalar(row?.[hashKey])) : [];
    return hashKey && values.every((value) => value !== undefined) ? values : UNKNOWN;
  };
  /** @param {string} action @param {string} resource @param {NonNullable<Check['context']>} [context] @returns {Check} */
  const check = (action, resource, context = {}) => ({ action: `dynamodb:${action}`, resource, context });

  if (target.startsWith(STREAMS_TARGET)) {
    const operation = target.slice(STREAMS_TARGET.length);
    // A shard iterator starts with its stream's ARN (in AWS and in DynamoDB Local).
    const streamArn = body.StreamArn ?? (typeof body.ShardIterator === 'string' ? body.ShardIterator.split('|')[0] : undefined);
    const resource = streamArn ?? (body.TableName ? `${tableArn(body.TableName)}/stream/*` : '*');
    return { operation, checks: [check(operation, resource)] };
  }
  if (!target.startsWith(DYNAMODB_TARGET)) return undefined;
  const operation = target.slice(DYNAMODB_TARGET.length);

  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return { operation, checks: [check(operation, tableArn(body.TableName), { 'dynamodb:leadingkeys': leadingKeys(body.TableName, [body.Key]) })] };
    case 'PutItem':
      return { operation, checks: [check(operation, tableArn(body.TableName), { 'dynamodb:leadingkeys': leadingKeys(body.TableName, [body.Item]) })] };
    case 'Query':
    case 'Scan': {
      const resource = body.IndexName ? `${tableArn(body.TableName)}/index/${body.IndexName}` : tableArn(body.TableName);
      // A Scan has no leading key (as in AWS); a Query's is its partition key condition, read here for a table only.
      const keys = operation === 'Scan' ? undefined : body.IndexName ? UNKNOWN : queryLeadingKeys(body, hashKeyOf(tableNameOf(body.TableName)));
      return { operation, checks: [check(operation, resource, { 'dynamodb:leadingkeys': keys })] };
    }
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const checks = Object.entries(body.RequestItems ?? {}).map(([tableName, /** @type {any} */ request]) => {
        const rows = operation === 'BatchGetItem' ? (request.Keys ?? []) : request.map((/** @type {any} */ entry) => entry.PutRequest?.Item ?? entry.DeleteRequest?.Key);
        return check(operation, tableArn(tableName), { 'dynamodb:leadingkeys': leadingKeys(tableName, rows) });
      });
      return { operation, checks };
    }
    case 'TransactGetItems':
    case 'TransactWriteItems': {
      const checks = (body.TransactItems ?? []).flatMap((/** @type {Record<string, any>} */ entry) =>
        Object.entries(entry).map(([part, request]) =>
          check(TRANSACT_PARTS[part] ?? part, tableArn(request.TableName), {
            'dynamodb:leadingkeys': leadingKeys(request.TableName, [request.Key ?? request.Item]),
            'dynamodb:enclosingoperation': operation,
          }),
        ),
      );
      return { operation, checks };
    }
    case 'ExecuteStatement':
    case 'ExecuteTransaction':
    case 'BatchExecuteStatement': {
      const statements = body.Statement ? [body.Statement] : (body.TransactStatements ?? body.Statements ?? []).map((/** @type {{ Statement?: string }} */ entry) => entry.Statement);
      return { operation, checks: statements.map((/** @type {string | undefined} */ statement) => partiqlCheck(statement, tableArn)) };
    }
    default: {
      // Everything else names its table (TableName), another resource (ResourceArn), or none.
      const resource = body.TableName ? tableArn(body.TableName) : (body.ResourceArn ?? '*');
      return { operation, checks: [check(operation, resource)] };
    }
  }
};

/**
 * The partition key value of a Query's key condition on a table (`#pk = :v`, or the legacy KeyConditions).
 * @param {any} body @param {string | undefined} hashKey
 * @returns {string[] | typeof UNKNOWN}
 */
const queryLeadingKeys = (body, hashKey) => {
  if (!hashKey) return UNKNOWN;
  const legacy = body.KeyConditions?.[hashKey]?.AttributeValueList?.[0];
  if (legacy) return [scalar(legacy) ?? ''];
  const names = body.ExpressionAttributeNames ?? {};
  for (const [, name = '', placeholder = ''] of String(body.KeyConditionExpression ?? '').matchAll(/([#\w.]+)\s*=\s*(:\w+)/g)) {
    const value = scalar(body.ExpressionAttributeValues?.[placeholder]);
    if ((names[name] ?? name) === hashKey && value !== undefined) return [value];
  }
  return UNKNOWN;
};

/**
 * A PartiQL statement's action and table (or index): `SELECT … FROM "t"."i"`, `INSERT INTO "t"`, `UPDATE "t"`, `DELETE FROM "t"`.
 * @param {string | undefined} statement @param {(table: string) => string} tableArn
 * @returns {Check}
 */
const partiqlCheck = (statement, tableArn) => {
  const verb = /^\s*(\w+)/.exec(statement ?? '')?.[1]?.toUpperCase() ?? '';
  const [, table, index] = /(?:FROM|INTO|UPDATE)\s+"([^"]+)"(?:\."([^"]+)")?/i.exec(statement ?? '') ?? [];
  const resource = table ? `${tableArn(table)}${index ? `/index/${index}` : ''}` : '*';
  return { action: `dynamodb:${PARTIQL_ACTIONS[verb] ?? 'PartiQLSelect'}`, resource, context: {} };
};

// ---- SNS and SQS ----

// Batch operations are authorized as the action of their entries.
/** @type {Record<string, string>} */
const SQS_ACTIONS = { SendMessageBatch: 'SendMessage', DeleteMessageBatch: 'DeleteMessage', ChangeMessageVisibilityBatch: 'ChangeMessageVisibility' };
/** @type {Record<string, string>} */
const SNS_ACTIONS = { PublishBatch: 'Publish' };

/**
 * The ARN of the queue at `queueUrl` (`http://host/<account>/<name>`).
 * @param {string} queueUrl @param {string} region @param {string} accountId
 */
export const queueArnOf = (queueUrl, region, accountId) => {
  const [account, name] = new URL(queueUrl, 'http://localhost').pathname.split('/').filter(Boolean).slice(-2);
  return name ? `arn:aws:sqs:${region}:${account}:${name}` : `arn:aws:sqs:${region}:${accountId}:${account ?? ''}`;
};

/**
 * What an SQS request needs; `params` is its JSON body, or its form
 * parameters in the query protocol (where the queue URL may be the path).
 * @param {string} operation @param {Record<string, any>} params @param {{ region: string, accountId: string, path?: string }} where
 * @returns {{ operation: string, checks: Check[] }}
 */
export const sqsChecks = (operation, params, { region, accountId, path = '/' }) => {
  const pathOnly = path.split('?')[0] ?? '/';
  const queueUrl = params.QueueUrl ?? (pathOnly.split('/').filter(Boolean).length === 2 ? pathOnly : undefined);
  const resource = queueUrl ? queueArnOf(queueUrl, region, accountId) : params.QueueName ? `arn:aws:sqs:${region}:${accountId}:${params.QueueName}` : '*';
  return { operation, checks: [{ action: `sqs:${SQS_ACTIONS[operation] ?? operation}`, resource, context: {} }] };
};

/**
 * What an SNS request (form parameters) needs.
 * @param {string} operation @param {Record<string, any>} params @param {{ region: string, accountId: string }} where
 * @returns {{ operation: string, checks: Check[] }}
 */
export const snsChecks = (operation, params, { region, accountId }) => {
  const topicArn =
    params.TopicArn ??
    params.TargetArn ??
    params.ResourceArn ??
    // A subscription's ARN is its topic's ARN and an id.
    (params.SubscriptionArn ? params.SubscriptionArn.split(':').slice(0, 6).join(':') : undefined) ??
    (operation === 'CreateTopic' && params.Name ? `arn:aws:sns:${region}:${accountId}:${params.Name}` : undefined);
  return { operation, checks: [{ action: `sns:${SNS_ACTIONS[operation] ?? operation}`, resource: topicArn ?? '*', context: {} }] };
};

/**
 * Reads a request to the SNS/SQS emulator or to DynamoDB Local.
 * @param {{ headers: import('node:http').IncomingHttpHeaders, path: string, body: Buffer, signingService: string | undefined }} request
 * @param {{ region: string, accountId: string, hashKeyOf: (tableName: string) => string | undefined }} where
 * @returns {AwsRequest | undefined}  undefined when it is none of the protocols above
 */
export const readAwsRequest = ({ headers, path, body, signingService }, where) => {
  const target = String(headers['x-amz-target'] ?? '');
  const json = () => (body.length > 0 ? JSON.parse(body.toString('utf8')) : {});
  if (target.startsWith(DYNAMODB_TARGET) || target.startsWith(STREAMS_TARGET)) {
    const described = dynamodbChecks(target, json(), where);
    return described && { service: 'dynamodb', protocol: 'json', ...described };
  }
  if (target.startsWith('AmazonSQS.')) return { service: 'sqs', protocol: 'json', ...sqsChecks(target.slice('AmazonSQS.'.length), json(), { ...where, path }) };
  const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (!params.Action) return undefined;
  if (signingService === 'sns') return { service: 'sns', protocol: 'query', ...snsChecks(params.Action, params, where) };
  if (signingService === 'sqs') return { service: 'sqs', protocol: 'query', ...sqsChecks(params.Action, params, { ...where, path }) };
  return undefined;
};

// ---- What AWS answers ----

/** @param {string} text */
const xmlEscape = (text) => text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * AWS's message for a denied action. SNS spells the action `SNS:Publish`, SQS
 * lower case (`sqs:sendmessage`), DynamoDB as written.
 * @param {{ principalArn: string, action: string, resource: string, explicit: boolean, service: string }} denial
 */
export const accessDeniedMessage = ({ principalArn, action, resource, explicit, service }) => {
  const spelled = service === 'sns' ? action.replace(/^sns:/, 'SNS:') : service === 'sqs' ? action.toLowerCase() : action;
  const why = explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${spelled} action`;
  return `User: ${principalArn} is not authorized to perform: ${spelled} on resource: ${resource} ${why}`;
};

/**
 * The HTTP response AWS gives a request it refuses, in the request's protocol.
 * `code`: AccessDenied for an action the principal may not do,
 * UnrecognizedClient for an access key AWS does not know.
 * @param {{ service: string, protocol: string }} request
 * @param {'AccessDenied' | 'UnrecognizedClient'} code
 * @param {string} message
 * @returns {{ status: number, headers: Record<string, string>, body: string }}
 */
export const errorResponse = ({ service, protocol }, code, message) => {
  const requestId = randomUUID();
  if (service === 'dynamodb') {
    const type = code === 'AccessDenied' ? 'com.amazonaws.dynamodb.v20120810#AccessDeniedException' : 'com.amazon.coral.service#UnrecognizedClientException';
    return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: type, message }) };
  }
  // The query protocol's codes: SNS says AuthorizationError (AuthorizationErrorException in the SDK), SQS AccessDenied.
  const queryCode = code === 'UnrecognizedClient' ? 'InvalidClientTokenId' : service === 'sns' ? 'AuthorizationError' : 'AccessDenied';
  if (service === 'sqs' && protocol === 'json') {
    // SQS's JSON protocol carries the query protocol's code in x-amzn-query-error, which the SDK names the error by.
    const type = code === 'AccessDenied' ? 'com.amazon.coral.service#AccessDeniedException' : 'com.amazon.coral.service#UnrecognizedClientException';
    return {
      status: 403,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${queryCode};Sender` },
      body: JSON.stringify({ __type: type, message }),
    };
  }
  const namespace = service === 'sns' ? 'http://sns.amazonaws.com/doc/2010-03-31/' : 'http://queue.amazonaws.com/doc/2012-11-05/';
  const body = `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${queryCode}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: 403, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
};
