// Deploying a stage whose stack was removed fails late in CloudFormation: the
// tables, DLQs and secrets the stack keeps on removal (DeletionPolicy Retain)
// still exist, and CloudFormation cannot create a resource whose name is taken
// (through the SDK this surfaced as an unreadable error around "Table already
// exists"). Before `serverless deploy` creates a stack that does not exist,
// this plugin looks up each retained resource the template names and stops,
// naming every one still there, to import into the stack or delete.
// Nothing happens on `package`, on the local stage, or when the stack exists
// (an update keeps its retained resources).
const { LOCAL_STAGE } = require('../local-stage.cjs');

/** @import { CfnTemplate } from '@platform/serverless-base/types' */
/** @typedef {{ id: string, type: string, name: string }} Retained */
/** @typedef {(resource: Retained) => Promise<boolean>} Exists */
/**
 * @typedef {{ stackExists(stackName: string): Promise<boolean>, exists: Record<string, Exists>, accountId?(): Promise<string> }} Lookups
 *   accountId: the account deployed to, for a name built with ${AWS::AccountId}
 */

/** The property holding the name CloudFormation gives each type of resource we know how to look up. */
const NAME_PROPERTY = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::S3::Bucket': 'BucketName',
};

/** A name made of literal text and pseudo parameters only (`!Sub '${AWS::StackName}-images-${AWS::AccountId}'`), resolved; else undefined. */
const PSEUDO_ONLY = /\$\{(AWS::[A-Za-z]+)\}/g;

/**
 * @param {unknown} name @param {Record<string, string>} pseudo
 * @returns {string | undefined}
 */
const literalName = (name, pseudo) => {
  if (typeof name === 'string') return name;
  const sub = /** @type {{ 'Fn::Sub'?: unknown }} */ (name)?.['Fn::Sub'];
  if (typeof sub !== 'string') return undefined;
  const rest = sub.replace(PSEUDO_ONLY, (match, parameter) => (parameter in pseudo ? '' : match));
  if (rest.includes('${')) return undefined;
  return sub.replace(PSEUDO_ONLY, (_match, parameter) => pseudo[parameter] ?? '');
};

/**
 * The retained resources of a template that carry a name of their own. One
 * CloudFormation names (no name property set, or a Lambda version) cannot
 * collide: a new stack gets new names.
 * @param {CfnTemplate} template
 * @param {Record<string, string>} [pseudo] the pseudo parameters a name may be built from (`AWS::StackName` …)
 * @returns {{ named: Retained[], unchecked: Array<{ id: string, type: string, why: string }> }}
 *   unchecked: retained resources this plugin cannot look up (a type it does not know, a name that is not a literal)
 */
const retainedResources = (template, pseudo = {}) => {
  /** @type {Retained[]} */
  const named = [];
  /** @type {Array<{ id: string, type: string, why: string }>} */
  const unchecked = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.DeletionPolicy !== 'Retain' || resource.Type === 'AWS::Lambda::Version') continue;
    const property = NAME_PROPERTY[/** @type {keyof typeof NAME_PROPERTY} */ (resource.Type)];
    const name = property ? resource.Properties?.[property] : undefined;
    const literal = literalName(name, pseudo);
    if (!property) unchecked.push({ id, type: resource.Type, why: 'a type this check does not look up' });
    else if (literal !== undefined) named.push({ id, type: resource.Type, name: literal });
    else if (name !== undefined) unchecked.push({ id, type: resource.Type, why: `its name ${JSON.stringify(name)} is not a literal` });
  }
  return { named, unchecked };
};

/**
 * @param {string} stackName
 * @param {Retained[]} found
 */
const message = (stackName, found) =>
  [
    `Stack ${stackName} does not exist, but ${found.length === 1 ? 'a resource it retains' : `${found.length} resources it retains`} ` +
      '(DeletionPolicy Retain) still exist from an earlier deploy of this stage, and CloudFormation cannot create them again:',
    ...found.map(({ id, type, name }) => `  - ${id} (${type}) ${name}`),
    'Import each into the stack (CloudFormation resource import), or delete it if its data may go, then deploy again (docs/deploying.md).',
  ].join('\n');

/**
 * Whether a lookup finds its resource: false when it fails as `missing` says, its
 * answer when that is a boolean, else true; any other failure is thrown.
 * @param {() => Promise<unknown>} lookup @param {(error: unknown) => boolean} missing
 */
const lookedUp = async (lookup, missing) => {
  try {
    const answer = await lookup();
    return typeof answer === 'boolean' ? answer : true;
  } catch (error) {
    if (missing(error)) return false;
    throw error;
  }
};

/** The partition a region is in. @param {string} region */
const partitionOf = (region) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

/** @param {unknown} error @param {RegExp} names */
const isNotFound = (error, names) => names.test(String(/** @type {{ name?: string }} */ (error)?.name));

/**
 * Lookups through the AWS SDK, with the framework's credentials and region.
 * @param {any} provider the framework's AWS provider
 * @returns {Lookups}
 */
const awsLookups = (provider) => {
  const config = () => provider.getAwsSdkV3Config();
  return {
    // The framework's own ListStackResources of this service's stack.
    async stackExists() {
      try {
        await provider.getStackResources();
        return true;
      } catch (error) {
        if (/does not exist/.test(String(/** @type {Error} */ (error)?.message))) return false;
        throw error;
      }
    },
    accountId: () => provider.getAccountId(),
    exists: {
      // A bucket name is global: taken by another account (403) counts as there, as CloudFormation could not create it either.
      async 'AWS::S3::Bucket'({ name }) {
        const { S3Client, HeadBucketCommand } = require('@aws-sdk/client-s3');
        const status = (/** @type {unknown} */ error) => /** @type {{ $metadata?: { httpStatusCode?: number } }} */ (error)?.$metadata?.httpStatusCode;
        return lookedUp(
          async () => new S3Client(await config()).send(new HeadBucketCommand({ Bucket: name })).catch((error) => (status(error) === 403 ? undefined : Promise.reject(error))),
          (error) => status(error) === 404 || isNotFound(error, /^(NotFound|NoSuchBucket)$/),
        );
      },
      async 'AWS::DynamoDB::Table'({ name }) {
        const { DynamoDBClient, DescribeTableCommand } = require('@aws-sdk/client-dynamodb');
        return lookedUp(
          async () => new DynamoDBClient(await config()).send(new DescribeTableCommand({ TableName: name })),
          (error) => isNotFound(error, /^ResourceNotFoundException$/),
        );
      },
      async 'AWS::SQS::Queue'({ name }) {
        const { SQSClient, GetQueueUrlCommand } = require('@aws-sdk/client-sqs');
        return lookedUp(
          async () => new SQSClient(await config()).send(new GetQueueUrlCommand({ QueueName: name })),
          (error) => isNotFound(error, /^(QueueDoesNotExist|AWS\.SimpleQueueService\.NonExistentQueue)$/),
        );
      },
      async 'AWS::SecretsManager::Secret'({ name }) {
        const { SecretsManagerClient, DescribeSecretCommand } = require('@aws-sdk/client-secrets-manager');
        return lookedUp(
          // A secret scheduled for deletion still holds its name until it is gone.
          async () => Boolean((await new SecretsManagerClient(await config()).send(new DescribeSecretCommand({ SecretId: name }))).ARN),
          (error) => isNotFound(error, /^ResourceNotFoundException$/),
        );
      },
    },
  };
};

class RetainedResources {
  /**
   * @param {import('@platform/serverless-base/types').Serverless} serverless
   * @param {unknown} _options
   * @param {{ log?: { info(message: string): void, warning(message: string): void } }} [utils]
   * @param {Lookups} [lookups] how to ask AWS (tests pass their own)
   */
  constructor(serverless, _options, utils, lookups) {
    this.serverless = serverless;
    this.log = utils?.log;
    this.lookups = lookups;
    this.hooks = { 'before:aws:deploy:deploy:createStack': () => this.check() };
  }

  async check() {
    const provider = /** @type {any} */ (this.serverless.getProvider('aws'));
    if (provider.getStage() === LOCAL_STAGE) return;
    const lookups = this.lookups ?? awsLookups(provider);
    const stackName = provider.naming.getStackName();
    if (await lookups.stackExists(stackName)) return;

    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const region = provider.getRegion?.() ?? this.serverless.service.provider.region;
    /** @type {Record<string, string>} */
    const pseudo = { 'AWS::StackName': stackName, 'AWS::Region': region, 'AWS::Partition': partitionOf(region) };
    // The account id costs a call (STS): asked only when a retained resource's name is built with it.
    if (JSON.stringify(template.Resources ?? {}).includes('${AWS::AccountId}') && lookups.accountId) pseudo['AWS::AccountId'] = await lookups.accountId();
    const { named, unchecked } = retainedResources(template, pseudo);
    for (const { id, type, why } of unchecked) this.log?.warning(`${id} (${type}) is retained, but not checked before the deploy: ${why}`);
    /** @type {Retained[]} */
    const found = [];
    for (const resource of named) {
      const exists = lookups.exists[resource.type];
      if (exists && (await exists(resource))) found.push(resource);
    }
    if (found.length > 0) throw new this.serverless.classes.Error(message(stackName, found));
    this.log?.info(`${stackName} is new; none of its ${named.length} retained resources exists yet`);
  }
}

module.exports = RetainedResources;
module.exports.retainedResources = retainedResources;
