// Creates in the emulators what the services' compiled templates declare:
// tables, topics and queues first, so that every topic exists before any
// subscription names it, then the S3 buckets (their notifications name queues;
// their names are what the roles' S3 ARNs resolve to), then the subscriptions. What exists already (tables
// kept by LOCAL_PERSIST=1) is taken as it is: provisioning twice changes nothing.
import { createResolver } from './cfn.mjs';
import { createTables } from './dynamodb-tables.mjs';
import { registerFunctions } from '../event-sources/event-sources.mjs';
import { LOCAL_DATA_DIR } from '../stack/config.mjs';
import { LOCAL_STAGE } from '../stack/services.mjs';
import { createQueues, createSubscriptions, createTopics } from './sns-sqs-resources.mjs';
import { bucketSettings, createBuckets } from './s3-buckets.mjs';
import { resourcesOfType } from './cfn.mjs';

/**
 * Gives each stack `physicalIds` and `resolve` (its intrinsics against what
 * now exists locally) and logs what it created.
 * @param {import('@platform/local-runtime/types').CompiledStack[]} stacks compiled stacks, given physicalIds and resolve here
 * `clients.s3` (fauxqs's S3, admin key) is needed only by templates with an AWS::S3::Bucket.
 * @param {{ clients: { dynamodb: import('@aws-sdk/client-dynamodb').DynamoDBClient, sns: import('@aws-sdk/client-sns').SNSClient, sqs: import('@aws-sdk/client-sqs').SQSClient, s3?: import('@aws-sdk/client-s3').S3Client },
 *   region: string, log: import('@platform/local-runtime/types').Log }} options
 * @returns {Promise<import('@platform/local-runtime/types').ProvisionedStack[]>} the same stacks, provisioned
 */
export const provisionStacks = async (stacks, { clients, region, log }) => {
  const provisioned = [];
  for (const compiled of stacks) {
    /** @type {import('@platform/local-runtime/types').PhysicalIds} */
    const physicalIds = new Map();
    /** @type {import('@platform/local-runtime/types').ProvisionedStack} */
    const stack = Object.assign(compiled, { physicalIds, resolve: createResolver({ region, stackName: `${compiled.name}-${LOCAL_STAGE}`, physicalIds }) });
    provisioned.push(stack);
    const context = { ...stack, client: clients.dynamodb, sns: clients.sns, sqs: clients.sqs, region };
    const tables = await createTables(context);
    const topics = await createTopics(context);
    const queues = await createQueues(context);
    if (resourcesOfType(stack.template, 'AWS::S3::Bucket').some(([logicalId]) => logicalId !== 'ServerlessDeploymentBucket')) {
      if (!clients.s3) throw new Error(`${stack.name}: its template has S3 buckets, and provisioning was given no S3 client`);
      const stackName = `${compiled.name}-${LOCAL_STAGE}`;
      const created = await createBuckets({ ...stack, s3: clients.s3, stackName, log });
      stack.buckets = await bucketSettings({ ...stack, sqs: clients.sqs, buckets: created });
      for (const bucket of stack.buckets) {
        const notified = bucket.notifications.map((notification) => `${notification.event} ${notification.prefix || '*'}…${notification.suffix} → ${notification.queueArn.split(':').pop()}`);
        log(`${stack.name}: bucket ${bucket.name}${bucket.existed ? ' (kept from an earlier run)' : ''}${notified.length > 0 ? ` notifications ${notified.join(', ')}` : ''}`);
      }
    }
    registerFunctions(context);
    stack.keptTables = tables.filter((table) => table.existed).map((table) => table.name);
    if (tables.length > 0) log(`${stack.name}: tables ${tables.map((table) => `${table.name}${table.existed ? ' (kept from an earlier run)' : ''}`).join(', ')}`);
    for (const table of tables) {
      if (table.drift) log(`!!! ${stack.name}: table ${table.name}, kept from an earlier run, differs from its template: ${table.drift}. Delete ${LOCAL_DATA_DIR}/ or start without LOCAL_PERSIST to have it as the template says.`);
    }
    if (topics.length > 0) log(`${stack.name}: topics ${topics.join(', ')}`);
    for (const queue of queues) log(`${stack.name}: queue ${queue.name} ${JSON.stringify(queue.attributes)}`);
  }
  for (const stack of provisioned) {
    for (const subscription of await createSubscriptions({ ...stack, sns: clients.sns })) {
      log(`${stack.name}: subscription ${subscription.topicArn.split(':').pop()} → ${subscription.endpoint.split(':').pop()} filter ${JSON.stringify(subscription.filterPolicy ?? {})}`);
    }
  }
  return provisioned;
};
