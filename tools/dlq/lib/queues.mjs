// Finds every queue of every service on a stage, and which of them are
// dead-letter queues, from SQS itself: ListQueues with the prefix
// `<service>-<stage>-` per service, then each queue's attributes. A DLQ is a
// queue that another queue's RedrivePolicy names (its source), or an outbox
// relay's failure queue (`*-relay-dlq`, the on-failure destination of a
// DynamoDB stream event source: it receives stream-batch coordinates from
// Lambda, not messages from a queue, so it has no source).
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { DlqError } from './errors.mjs';

/**
 * @typedef {object} Queue
 * @property {string} name
 * @property {string} url
 * @property {string} arn
 * @property {string} service
 * @property {string} shortName  the name without `<service>-<stage>-`
 * @property {Record<string, string>} attributes  as GetQueueAttributes(All) answered
 */

/**
 * @typedef {object} SourceQueue
 * @property {string} name
 * @property {string} url
 * @property {string} arn
 * @property {number | undefined} maxReceiveCount
 */

/**
 * @typedef {Queue & {
 *   kind: 'redrive' | 'stream-failures' | 'orphan',
 *   sources: SourceQueue[],
 * }} DeadLetterQueue
 * `redrive`: fed by the RedrivePolicy of `sources`, which its messages can go back to;
 * `stream-failures`: an outbox relay's on-failure destination (stream-batch coordinates);
 * `orphan`: named like a DLQ (`*-dlq`) but no queue names it any more.
 */

/**
 * @typedef {object} Inventory
 * @property {Queue[]} queues
 * @property {DeadLetterQueue[]} deadLetterQueues
 */

const RELAY_DLQ = /-relay-dlq(\.fifo)?$/;
const NAMED_LIKE_A_DLQ = /-dlq(\.fifo)?$/;

/** @param {string} url */
const nameOfUrl = (url) => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));

/** @param {string | undefined} policy @returns {{ deadLetterTargetArn?: string, maxReceiveCount?: number } | undefined} */
const parseRedrivePolicy = (policy) => {
  if (!policy) return undefined;
  try {
    const parsed = JSON.parse(policy);
    return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: parsed.maxReceiveCount === undefined ? undefined : Number(parsed.maxReceiveCount) };
  } catch {
    return undefined;
  }
};

/**
 * @param {import('@aws-sdk/client-sqs').SQSClient} sqs
 * @param {string} prefix
 * @returns {Promise<string[]>}
 */
const listQueueUrls = async (sqs, prefix) => {
  /** @type {string[]} */
  const urls = [];
  /** @type {string | undefined} */
  let NextToken;
  do {
    const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }));
    urls.push(...(page.QueueUrls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return urls;
};

/**
 * Every queue of the target's services on its stage, and its dead-letter queues.
 * @param {import('./target.mjs').Target} target
 * @returns {Promise<Inventory>}
 */
export const discoverQueues = async (target) => {
  const found = await Promise.all(
    target.services.map(async (service) => {
      const prefix = `${service}-${target.stage}-`;
      const urls = await listQueueUrls(target.sqs, prefix);
      return Promise.all(
        urls.map(async (url) => {
          const { Attributes = {} } = await target.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
          const name = nameOfUrl(url);
          return { name, url, arn: Attributes.QueueArn ?? '', service, shortName: name.slice(prefix.length), attributes: Attributes };
        }),
      );
    }),
  );
  // A service whose name starts with another's plus a hyphen (`mail` and `mail-api`) never
  // collides here: the stage sits between them. The first service to list a queue keeps it.
  /** @type {Map<string, Queue>} */
  const byName = new Map();
  for (const queue of found.flat()) if (!byName.has(queue.name)) byName.set(queue.name, queue);
  const queues = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));

  /** @type {Map<string, SourceQueue[]>} */
  const sourcesByDlqArn = new Map();
  for (const queue of queues) {
    const policy = parseRedrivePolicy(queue.attributes.RedrivePolicy);
    if (!policy?.deadLetterTargetArn) continue;
    const sources = sourcesByDlqArn.get(policy.deadLetterTargetArn) ?? [];
    sources.push({ name: queue.name, url: queue.url, arn: queue.arn, maxReceiveCount: policy.maxReceiveCount });
    sourcesByDlqArn.set(policy.deadLetterTargetArn, sources);
  }

  /** @type {DeadLetterQueue[]} */
  const deadLetterQueues = [];
  for (const queue of queues) {
    const sources = sourcesByDlqArn.get(queue.arn) ?? [];
    if (sources.length > 0) deadLetterQueues.push({ ...queue, kind: 'redrive', sources });
    else if (RELAY_DLQ.test(queue.name)) deadLetterQueues.push({ ...queue, kind: 'stream-failures', sources });
    else if (NAMED_LIKE_A_DLQ.test(queue.name)) deadLetterQueues.push({ ...queue, kind: 'orphan', sources });
  }
  return { queues, deadLetterQueues };
};

/**
 * The inventory, or a DlqError when the stage has no queue at all (a wrong
 * stage or region, or a local stack that is not provisioned).
 * @param {import('./target.mjs').Target} target
 * @returns {Promise<Inventory>}
 */
export const requireQueues = async (target) => {
  const inventory = await discoverQueues(target);
  if (inventory.queues.length === 0) {
    throw new DlqError(
      target.kind === 'local'
        ? `no queues on ${target.where} for stage ${target.stage}: is \`npm start\` running and ready?`
        : `no queues found for ${target.where} (services: ${target.services.join(', ')}): wrong stage, region or account?`,
      'NO_QUEUES',
    );
  }
  return inventory;
};

/**
 * The dead-letter queue that `argument` names: its full name, its URL, or its
 * short name (without `<service>-<stage>-`) when only one service has it.
 * @param {Inventory} inventory
 * @param {string} argument
 * @param {import('./target.mjs').Target} target
 * @returns {DeadLetterQueue}
 */
export const resolveDeadLetterQueue = (inventory, argument, target) => {
  const { queues, deadLetterQueues } = inventory;
  const known = deadLetterQueues.map((q) => q.name).join(', ') || 'none';
  const exact = deadLetterQueues.find((q) => q.name === argument || q.url === argument || q.arn === argument);
  if (exact) return exact;
  const short = deadLetterQueues.filter((q) => q.shortName === argument);
  const [only, ...others] = short;
  if (only && others.length === 0) return only;
  if (short.length > 1) throw new DlqError(`ambiguous queue ${argument}: it could be ${short.map((q) => q.name).join(' or ')}`, 'AMBIGUOUS_QUEUE');
  const other = queues.find((q) => q.name === argument || q.shortName === argument || q.url === argument);
  if (other) throw new DlqError(`${other.name} is not a dead-letter queue (no queue's RedrivePolicy names it); dead-letter queues: ${known}`, 'NOT_A_DLQ');
  throw new DlqError(`unknown queue ${argument} on ${target.where}; dead-letter queues: ${known}`, 'UNKNOWN_QUEUE');
};
