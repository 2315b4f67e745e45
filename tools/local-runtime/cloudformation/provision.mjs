// Creates in the emulators what the services' compiled templates declare:
// tables, topics and queues first, so that every topic exists before any
// subscription names it, then the subscriptions. What exists already (tables
// kept by LOCAL_PERSIST=1) is taken as it is: provisioning twice changes nothing.
import { createResolver } from './cfn.mjs';
import { createTables } from './dynamodb-tables.mjs';
import { registerFunctions } from '../event-sources/event-sources.mjs';
import { LOCAL_DATA_DIR } from '../stack/config.mjs';
import { LOCAL_STAGE } from '../stack/services.mjs';
import { createQueues, createSubscriptions, createTopics } from './sns-sqs-resources.mjs';

/**
 * Gives each stack `physicalIds` and `resolve` (its intrinsics against what
 * now exists locally) and logs what it created.
 * @param {import('@platform/local-runtime/types').CompiledStack[]} stacks compiled stacks, given physicalIds and resolve here
 * @param {{ clients: { dynamodb: import('@aws-sdk/client-dynamodb').DynamoDBClient, sns: import('@aws-sdk/client-sns').SNSClient, sqs: import('@aws-sdk/client-sqs').SQSClient },
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
