// What the rehearsal asks the emulated account: stacks, exports, functions,
// and whether a resource still exists. CloudFormation, Lambda, IAM and S3 are
// the framework's own SDK clients (those serverless deploys with); DynamoDB,
// SQS and SNS the workspace's.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createRequire } from 'node:module';

const fromFramework = createRequire(createRequire(import.meta.url).resolve('serverless'));
/** @type {typeof import('@aws-sdk/client-cloudformation')} */
const cfn = fromFramework('@aws-sdk/client-cloudformation');
/** @type {typeof import('@aws-sdk/client-lambda')} */
const lambda = fromFramework('@aws-sdk/client-lambda');
/** @type {typeof import('@aws-sdk/client-iam')} */
const iam = fromFramework('@aws-sdk/client-iam');
/** @type {typeof import('@aws-sdk/client-s3')} */
const s3 = fromFramework('@aws-sdk/client-s3');

/** @param {unknown} error @param {RegExp} pattern */
const isMissing = (error, pattern) => {
  const { name = '', message = '' } = /** @type {{ name?: string, message?: string }} */ (error ?? {});
  return pattern.test(name) || pattern.test(message);
};

/**
 * @param {{ endpoint: string, region: string }} options
 */
export const account = ({ endpoint, region }) => {
  const config = { endpoint, region, credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' } };
  const clients = {
    cloudFormation: new cfn.CloudFormationClient(config),
    lambda: new lambda.LambdaClient(config),
    iam: new iam.IAMClient(config),
    s3: new s3.S3Client({ ...config, forcePathStyle: true }),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
  };

  /**
   * @param {() => Promise<unknown>} ask
   * @param {RegExp} missing what the error says when the resource does not exist
   */
  const exists = async (ask, missing) => {
    try {
      await ask();
      return true;
    } catch (error) {
      if (isMissing(error, missing)) return false;
      throw error;
    }
  };

  /** @type {Record<string, (physicalId: string) => Promise<boolean>>} how to tell whether a resource of each type exists */
  const existsByType = {
    'AWS::DynamoDB::Table': (name) => exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: name })), /ResourceNotFound/),
    'AWS::SQS::Queue': (url) =>
      exists(() => clients.sqs.send(new GetQueueUrlCommand({ QueueName: url.split('/').pop() })), /QueueDoesNotExist|NonExistentQueue/),
    'AWS::SNS::Topic': (arn) => exists(() => clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn })), /NotFound/),
    'AWS::Lambda::Function': (name) => exists(() => clients.lambda.send(new lambda.GetFunctionCommand({ FunctionName: name })), /ResourceNotFound/),
    'AWS::IAM::Role': (name) => exists(() => clients.iam.send(new iam.GetRoleCommand({ RoleName: name })), /NoSuchEntity/),
    'AWS::S3::Bucket': (name) => exists(() => clients.s3.send(new s3.HeadBucketCommand({ Bucket: name })), /NotFound|NoSuchBucket/),
  };

  return {
    existsByType,
    /** @param {string} stackName @returns {Promise<import('@aws-sdk/client-cloudformation').Stack | null>} */
    async stack(stackName) {
      try {
        const { Stacks = [] } = await clients.cloudFormation.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
        return Stacks[0] ?? null;
      } catch (error) {
        if (isMissing(error, /does not exist/)) return null;
        throw error;
      }
    },
    /** @param {string} stackName the resources moto created for the stack (those it skipped have no logical id) */
    async resources(stackName) {
      /** @type {import('@aws-sdk/client-cloudformation').StackResourceSummary[]} */
      const all = [];
      /** @type {string | undefined} */
      let NextToken;
      do {
        /** @type {import('@aws-sdk/client-cloudformation').ListStackResourcesCommandOutput} */
        const page = await clients.cloudFormation.send(new cfn.ListStackResourcesCommand({ StackName: stackName, NextToken }));
        all.push(...(page.StackResourceSummaries ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      return all.filter((resource) => resource.LogicalResourceId);
    },
    /** @param {string} stackName how many events the stack has had (an update adds some; a skipped deploy none) */
    async eventCount(stackName) {
      const { StackEvents = [] } = await clients.cloudFormation.send(new cfn.DescribeStackEventsCommand({ StackName: stackName }));
      return StackEvents.length;
    },
    /** @returns {Promise<Map<string, { value: string, stackId: string }>>} */
    async exports() {
      /** @type {Map<string, { value: string, stackId: string }>} */
      const all = new Map();
      /** @type {string | undefined} */
      let NextToken;
      do {
        /** @type {import('@aws-sdk/client-cloudformation').ListExportsCommandOutput} */
        const page = await clients.cloudFormation.send(new cfn.ListExportsCommand({ NextToken }));
        for (const { Name = '', Value = '', ExportingStackId = '' } of page.Exports ?? []) all.set(Name, { value: Value, stackId: ExportingStackId });
        NextToken = page.NextToken;
      } while (NextToken);
      return all;
    },
    /**
     * Every function whose name starts with `prefix`: its code's hash and environment.
     * @param {string} prefix
     * @returns {Promise<Map<string, { codeSha256: string, environment: Record<string, string> }>>}
     */
    async functions(prefix) {
      /** @type {Map<string, { codeSha256: string, environment: Record<string, string> }>} */
      const found = new Map();
      /** @type {string | undefined} */
      let Marker;
      do {
        /** @type {import('@aws-sdk/client-lambda').ListFunctionsCommandOutput} */
        const page = await clients.lambda.send(new lambda.ListFunctionsCommand({ Marker }));
        for (const fn of page.Functions ?? []) {
          if (fn.FunctionName?.startsWith(prefix)) {
            found.set(fn.FunctionName, { codeSha256: fn.CodeSha256 ?? '', environment: fn.Environment?.Variables ?? {} });
          }
        }
        Marker = page.NextMarker;
      } while (Marker);
      return found;
    },
  };
};

/** @typedef {ReturnType<typeof account>} Account */
