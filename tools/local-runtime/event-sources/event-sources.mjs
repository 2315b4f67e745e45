// Starts one local poller per AWS::Lambda::EventSourceMapping of a compiled
// template: SQS queues and DynamoDB streams, with the mapping's own settings.
// (Schedules, which are EventBridge's and not mappings: schedule-event-source.mjs.)
import { LOCAL_ACCOUNT_ID, resourcesOfType } from '../cloudformation/cfn.mjs';
import { startSqsEventSource } from './sqs-event-source.mjs';
import { startStreamEventSource } from './stream-event-source.mjs';
import { sqsOnFailure } from './stream-failures.mjs';

/**
 * @typedef {Pick<import('@platform/local-runtime/types').ProvisionedStack, 'template' | 'resolve' | 'physicalIds'>} Stack
 */

/** Gives each function of the template its physical id (its name) and ARN. @param {Stack & { region: string }} stack */
export const registerFunctions = ({ template, resolve, physicalIds, region }) => {
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const { FunctionName } = resolve({ FunctionName: resource.Properties?.FunctionName });
    physicalIds.set(logicalId, {
      ref: FunctionName,
      attributes: { Arn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${FunctionName}` },
    });
  }
};

/**
 * One poller per event source mapping of the stack's template.
 * @param {Stack & { invoke: import('@platform/local-runtime/types').Invoke, sqs: import('@aws-sdk/client-sqs').SQSClient,
 *   streams: import('@aws-sdk/client-dynamodb-streams').DynamoDBStreamsClient, region: string, retryVisibilitySeconds?: number,
 *   failEvery?: number, log: import('@platform/local-runtime/types').Log, recorder?: import('@platform/local-runtime/types').HopRecorder,
 *   checkpoints?: import('./checkpoints.mjs').Checkpoints, streamMaxRecordAgeSeconds?: number }} options
 *   checkpoints: where each stream mapping got to, kept across restarts with the tables (LOCAL_PERSIST=1);
 *   streamMaxRecordAgeSeconds: LOCAL_STREAM_MAX_RECORD_AGE_SECONDS, a failing stream record's local age limit
 * @returns {Array<{ stop(): Promise<void>, description: string }>}
 */
export const startEventSources = ({ template, resolve, physicalIds, invoke, sqs, streams, region, retryVisibilitySeconds, failEvery, log, recorder, checkpoints, streamMaxRecordAgeSeconds }) =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, resource]) => {
    const mapping = resolve(resource.Properties);
    const functionName = /** @type {string} */ (String(mapping.FunctionName).split(':function:').pop());
    const reportBatchItemFailures = (mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const arn = mapping.EventSourceArn;

    if (arn.startsWith('arn:aws:sqs:')) {
      const queue = [...physicalIds.values()].find((entry) => entry.attributes?.Arn === arn);
      if (!queue) throw new Error(`${functionName}: no local queue for ${arn}`);
      // Lambda scales an SQS mapping up to the function's concurrency (or the
      // mapping's MaximumConcurrency): as many batches in flight at once.
      const pollers = Math.max(1, Math.min(invoke.concurrencyOf?.(functionName) ?? 1, mapping.ScalingConfig?.MaximumConcurrency ?? Infinity));
      const poller = startSqsEventSource({
        sqs,
        pollers,
        queueUrl: queue.attributes.QueueUrl,
        queueArn: arn,
        functionName,
        invoke,
        batchSize: mapping.BatchSize ?? 10,
        batchWindowSeconds: mapping.MaximumBatchingWindowInSeconds ?? 0,
        reportBatchItemFailures,
        retryVisibilitySeconds,
        // `npm run faults`: every Nth record fails here, by injection (sqs-event-source.mjs).
        failEvery,
        region,
        log,
        recorder,
      });
      return {
        ...poller,
        description: `queue ${queue.attributes.QueueName} → ${functionName} (batch ${mapping.BatchSize ?? 10}, window ${mapping.MaximumBatchingWindowInSeconds ?? 0}s, up to ${pollers} at once${reportBatchItemFailures ? ', ReportBatchItemFailures' : ''}${failEvery ? `, 1 record in ${failEvery} failed by injection` : ''})`,
      };
    }

    if (arn.includes(':table/') && arn.includes('/stream/')) {
      // Where Lambda sends the coordinates of the batches it gives up on (the outbox relays' `*-relay-dlq`).
      const onFailureArn = mapping.DestinationConfig?.OnFailure?.Destination;
      const poller = startStreamEventSource({
        streams,
        streamArn: arn,
        functionName,
        invoke,
        batchSize: mapping.BatchSize ?? 100,
        startingPosition: mapping.StartingPosition ?? 'TRIM_HORIZON',
        reportBatchItemFailures,
        maximumRetryAttempts: mapping.MaximumRetryAttempts ?? -1,
        maximumRecordAgeSeconds: mapping.MaximumRecordAgeInSeconds ?? -1,
        localMaxRecordAgeSeconds: streamMaxRecordAgeSeconds,
        bisectBatchOnFunctionError: mapping.BisectBatchOnFunctionError === true,
        onFailure: onFailureArn ? sqsOnFailure({ sqs, destinationArn: onFailureArn }) : undefined,
        log,
        recorder,
        checkpoints,
      });
      return { ...poller, description: `stream of ${arn.split('/')[1]} → ${functionName} (batch ${mapping.BatchSize ?? 100}${onFailureArn ? `, on failure → ${onFailureArn.split(':').pop()}` : ''})` };
    }
    throw new Error(`${functionName}: event source ${arn} is not emulated locally`);
  });
