// What an AWS SDK request to the local emulators asks for, in IAM's terms:
// who signed it (the access key id of its SigV4 Authorization header) and
// which actions on which resources it needs (the "checks"), read from only
// the parts of the request that say so. And what AWS answers when one of
// them is not allowed, in each protocol's own error shape.
//
// Protocols, as the AWS SDK for JavaScript v3 in node_modules sends them:
//   DynamoDB and DynamoDB Streams: JSON 1.0, X-Amz-Target DynamoDB_20120810.<Op> / DynamoDBStreams_20120810.<Op>
//   SQS: JSON 1.0, X-Amz-Target AmazonSQS.<Op>
//   SNS: query protocol, a form-encoded body with Action=<Op>
// Each is a POST to / whose Content-Type names the protocol. Only those are
// read (wireProtocolOf), and only what was read is forwarded: the emulator
// must see the request the layer authorized, not another one in its bytes.
// fauxqs picks SNS or SQS by Content-Type alone (x-amz-json-1.0: SQS by
// X-Amz-Target; form-urlencoded: always SNS) and serves other paths too
// (/_fauxqs/queues/:name, S3), so the method, path, Content-Type and
// X-Amz-Target it gets are the proxy's, not the caller's. SQS's query
// protocol is refused: fauxqs would serve it as SNS (the SDK v3 in
// node_modules sends SQS's JSON protocol).
import { randomUUID } from 'node:crypto';
import { UNKNOWN } from './evaluate.mjs';
import { classifyPartiql } from './partiql.mjs';

/** @typedef {import('./evaluate.mjs').Check} Check */
/** @typedef {{ service: 'dynamodb' | 'sns' | 'sqs', protocol: 'json' | 'query' }} Protocol */
/**
 * @typedef {Protocol & { operation: string, checks: Check[], forwardHeaders: Record<string, string>, params?: Record<string, string> }} AwsRequest
 *   forwardHeaders: what the emulator is sent as Content-Type (and X-Amz-Target), in place of the request's own;
 *   params: an SNS request's form parameters, as read (what a publish is recorded from: publish-hop.mjs)
 * @typedef {'dynamodb' | 'sns-sqs'} Emulator  the emulator behind a proxy: DynamoDB Local, or fauxqs
 */

/** Why a request is not read (and so refused): thrown by readAwsRequest. */
export class Unreadable extends Error {}

export const JSON_1_0 = 'application/x-amz-json-1.0';
export const FORM = 'application/x-www-form-urlencoded';

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
      // Each operation reads its own field only, as DynamoDB does: a Statement beside TransactStatements is not what runs.
      const entries = operation === 'ExecuteStatement' ? [body] : operation === 'ExecuteTransaction' ? body.TransactStatements : body.Statements;
      if (!Array.isArray(entries) || entries.length === 0) throw new Unreadable(`${operation} without statements`);
      return { operation, checks: entries.map((/** @type {{ Statement?: unknown }} */ entry) => partiqlCheck(entry?.Statement, tableArn)) };
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
 * A PartiQL statement's action on its table or index (partiql.mjs); one it cannot classify exactly is not read.
 * @param {unknown} statement @param {(table: string) => string} tableArn
 * @returns {Check}
 */
const partiqlCheck = (statement, tableArn) => {
  const classified = classifyPartiql(statement);
  if ('unclassifiable' in classified) throw new Unreadable(`a PartiQL statement it cannot classify exactly (${classified.unclassifiable}): ${JSON.stringify(statement)}`);
  const resource = `${tableArn(classified.table)}${classified.index ? `/index/${classified.index}` : ''}`;
  return { action: `dynamodb:${classified.action}`, resource, context: {} };
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
 * What an SQS request (its JSON body) needs.
 * @param {string} operation @param {Record<string, any>} params @param {{ region: string, accountId: string }} where
 * @returns {{ operation: string, checks: Check[] }}
 */
export const sqsChecks = (operation, params, { region, accountId }) => {
  const queueUrl = typeof params.QueueUrl === 'string' ? params.QueueUrl : undefined;
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

/** The media type of a Content-Type, lower case, without its parameters (`; charset=utf-8`). @param {unknown} value */
const mediaType = (value) => String(value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

// An X-Amz-Target as the SDK writes it: one `<Service>.<Operation>` (Node joins a repeated header with ", ", which this refuses).
const TARGET = /^[A-Za-z0-9_]+\.[A-Za-z]+$/;

/**
 * The protocol a request to `emulator` speaks, judged from the only method,
 * path and headers the layer forwards: POST / with the protocol's
 * Content-Type, and for the JSON protocols an X-Amz-Target of that service.
 * Anything else is `refused`, with why.
 * @param {{ emulator: Emulator, method: string, path: string, headers: import('node:http').IncomingHttpHeaders, signingService: string | undefined }} request
 * @returns {Protocol | { refused: string, protocol: Protocol }}  protocol, when refused: the shape to refuse it in
 */
export const wireProtocolOf = ({ emulator, method, path, headers, signingService }) => {
  const type = mediaType(headers['content-type']);
  const target = headers['x-amz-target'];
  /** @type {Protocol} */
  const guess = emulator === 'dynamodb' ? { service: 'dynamodb', protocol: 'json' } : type === FORM ? { service: signingService === 'sqs' ? 'sqs' : 'sns', protocol: 'query' } : { service: 'sqs', protocol: 'json' };
  /** @param {string} why */
  const refused = (why) => ({ refused: why, protocol: guess });
  if (method !== 'POST' || path !== '/') return refused(`${method} ${path}: only POST / is forwarded`);
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return refused(`Content-Encoding ${encoding}`);
  const jsonTarget = type === JSON_1_0 && typeof target === 'string' && TARGET.test(target);
  if (emulator === 'dynamodb') {
    if (jsonTarget && (target.startsWith(DYNAMODB_TARGET) || target.startsWith(STREAMS_TARGET))) return guess;
    return refused(`Content-Type ${headers['content-type'] ?? '(none)'} with X-Amz-Target ${target ?? '(none)'} is not DynamoDB's JSON protocol`);
  }
  if (jsonTarget && target.startsWith('AmazonSQS.')) return { service: 'sqs', protocol: 'json' };
  if (type === FORM && target === undefined && signingService === 'sns') return { service: 'sns', protocol: 'query' };
  if (type === FORM && signingService === 'sqs') return refused("SQS's query protocol, which fauxqs would serve as SNS (the SDK sends SQS's JSON protocol)");
  return refused(`Content-Type ${headers['content-type'] ?? '(none)'} with X-Amz-Target ${target ?? '(none)'}, signed for ${signingService ?? 'nothing'}, is neither SQS's JSON protocol nor SNS's query protocol`);
};

/**
 * Reads a request to the SNS/SQS emulator or to DynamoDB Local: throws
 * Unreadable (or a JSON SyntaxError) for one that is none of the protocols
 * above, or that it cannot read exactly.
 * @param {{ emulator: Emulator, method: string, headers: import('node:http').IncomingHttpHeaders, path: string, body: Buffer, signingService: string | undefined }} request
 * @param {{ region: string, accountId: string, hashKeyOf: (tableName: string) => string | undefined }} where
 * @returns {AwsRequest}
 */
export const readAwsRequest = ({ emulator, method, headers, path, body, signingService }, where) => {
  const wire = wireProtocolOf({ emulator, method, path, headers, signingService });
  if ('refused' in wire) throw new Unreadable(wire.refused);
  const target = String(headers['x-amz-target'] ?? '');
  const json = () => {
    const parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Unreadable('a JSON body that is no object');
    return parsed;
  };
  const jsonHeaders = { 'content-type': JSON_1_0, 'x-amz-target': target };
  if (wire.service === 'dynamodb') {
    const described = dynamodbChecks(target, json(), where);
    if (!described) throw new Unreadable(`X-Amz-Target ${target}`);
    return { ...wire, ...described, forwardHeaders: jsonHeaders };
  }
  if (wire.service === 'sqs') return { ...wire, ...sqsChecks(target.slice('AmazonSQS.'.length), json(), where), forwardHeaders: jsonHeaders };
  const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (!params.Action) throw new Unreadable('a form without Action');
  return { ...wire, ...snsChecks(params.Action, params, where), forwardHeaders: { 'content-type': FORM }, params };
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
 * UnrecognizedClient for an access key AWS does not know, UnknownOperation
 * for a request that is no operation of the protocol (as the layer forwards it).
 * @param {{ service: string, protocol: string }} request
 * @param {'AccessDenied' | 'UnrecognizedClient' | 'UnknownOperation'} code
 * @param {string} message
 * @returns {{ status: number, headers: Record<string, string>, body: string }}
 */
export const errorResponse = ({ service, protocol }, code, message) => {
  const requestId = randomUUID();
  // A request that is no operation of the service: 400, as AWS answers an unknown operation or action.
  const unknown = code === 'UnknownOperation';
  if (service === 'dynamodb') {
    const type = unknown
      ? 'com.amazon.coral.service#UnknownOperationException'
      : code === 'AccessDenied'
        ? 'com.amazonaws.dynamodb.v20120810#AccessDeniedException'
        : 'com.amazon.coral.service#UnrecognizedClientException';
    return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: type, message }) };
  }
  // The query protocol's codes: SNS says AuthorizationError (AuthorizationErrorException in the SDK), SQS AccessDenied.
  const queryCode = unknown ? 'InvalidAction' : code === 'UnrecognizedClient' ? 'InvalidClientTokenId' : service === 'sns' ? 'AuthorizationError' : 'AccessDenied';
  const status = unknown ? 400 : 403;
  if (service === 'sqs' && protocol === 'json') {
    // SQS's JSON protocol carries the query protocol's code in x-amzn-query-error, which the SDK names the error by.
    const type = unknown
      ? 'com.amazon.coral.service#UnknownOperationException'
      : code === 'AccessDenied'
        ? 'com.amazon.coral.service#AccessDeniedException'
        : 'com.amazon.coral.service#UnrecognizedClientException';
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${queryCode};Sender` },
      body: JSON.stringify({ __type: type, message }),
    };
  }
  const namespace = service === 'sns' ? 'http://sns.amazonaws.com/doc/2010-03-31/' : 'http://queue.amazonaws.com/doc/2012-11-05/';
  const body = `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${queryCode}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
};
