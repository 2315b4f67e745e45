// What moto's CloudFormation does not create, and which check covers it
// instead. moto logs "No Moto CloudFormation support for <type>" and still
// reports the stack CREATE_COMPLETE: a rehearsal proves nothing about those
// resources. A skipped type not listed here fails the rehearsal until someone
// names the check that covers it.

/** @type {Record<string, string>} each skipped type, and the check that covers it */
export const SKIPPED_ALLOWED = {
  'AWS::ApiGatewayV2::Api':
    'local stack: the local gateway serves every compiled route (tools/local-runtime/gateway/http-routes.mjs); template policy test: HTTP APIs',
  'AWS::ApiGatewayV2::Stage': 'template policy test: HTTP APIs (throttled stage, access logs); cfn-lint',
  'AWS::ApiGatewayV2::Route': 'local stack: the local gateway routes each compiled route to its function; template policy test: each route’s access',
  'AWS::ApiGatewayV2::Integration': 'local stack: the local gateway invokes each AWS_PROXY integration’s function; cfn-lint',
  'AWS::ApiGatewayV2::Authorizer': 'local stack: the local gateway verifies the JWT authorizer’s issuer, audience and scopes; template policy test: HTTP APIs',
  'AWS::SNS::Subscription':
    'local stack: the subscriptions are created in the SNS/SQS emulator from the compiled template, raw, with their filter policies; template policy test: consumer queues',
  'AWS::SQS::QueuePolicy':
    'template policy test: queue policies (only the bus may send) and bucket notifications (to a queue a bucket notifies, only s3.amazonaws.com from that bucket and account)',
  'AWS::SNS::TopicPolicy': 'template policy test: bus publishers (only the producers’ roles publish), platform stack (who may publish alarms)',
  'AWS::CloudWatch::Alarm': 'template policy test: alarms, alarm actions and health',
  'AWS::CloudWatch::CompositeAlarm': 'template policy test: alarm actions and health (the health alarm)',
  'AWS::XRay::ResourcePolicy': 'template policy test: platform stack (the SNS tracing policy); cfn-lint',
  'AWS::SecretsManager::Secret': 'template policy test: data protection (retained, generated, not plaintext); cfn-lint',
  'AWS::S3::BucketPolicy':
    'template policy test: buckets (every bucket, the deployment bucket included, has a policy that denies s3:* without TLS on it and its objects, and allows nobody everybody); cfn-lint',
};

/** What moto accepts and ignores, or cannot do here: never verified by a rehearsal. */
export const NEVER_VERIFIED = [
  ['DynamoDB TTL and point-in-time recovery', 'moto ignores them; template policy test: data protection'],
  ['arm64 and X-Ray active tracing of functions', 'moto ignores them; template policy test: tracing'],
  [
    'S3 bucket settings: Block Public Access, ownership controls, CORS, lifecycle rules and notifications',
    'moto’s CloudFormation creates a bucket with its name, encryption and tags only; template policy test: buckets and bucket notifications; cfn-lint',
  ],
  ['functions running, event source mappings polling', 'moto needs Docker to invoke a function; the local stack and the e2e suites run them'],
  ['IAM: what each role may do', 'moto does not evaluate policies; template policy test: one role per function, no wildcards; local IAM on the local stack'],
  ['removing a stack whose exports another stack imports', 'moto allows it, CloudFormation refuses; the rehearsal removes services before the bus'],
];

/**
 * Sorts a template's resources by what moto did with them.
 * @param {{ Resources?: Record<string, { Type: string, Condition?: string }> }} template the compiled template
 * @param {Set<string>} created logical ids moto lists for the stack
 * @param {Set<string>} skippedTypes the types moto logged as unsupported while deploying it
 */
export const classify = (template, created, skippedTypes) => {
  /** @type {Array<{ id: string, type: string }>} */
  const made = [];
  /** @type {Array<{ id: string, type: string, coveredBy?: string }>} */
  const skipped = [];
  /** @type {Array<{ id: string, type: string, condition: string }>} */
  const conditional = [];
  /** @type {Array<{ id: string, type: string }>} */
  const unexplained = [];
  for (const [id, { Type: type, Condition: condition }] of Object.entries(template.Resources ?? {})) {
    if (created.has(id)) made.push({ id, type });
    else if (skippedTypes.has(type)) skipped.push({ id, type, coveredBy: SKIPPED_ALLOWED[type] });
    else if (condition) conditional.push({ id, type, condition });
    else unexplained.push({ id, type });
  }
  return { made, skipped, conditional, unexplained, notAllowed: [...new Set(skipped.filter((r) => !r.coveredBy).map((r) => r.type))] };
};

/**
 * "AWS::SNS::TopicPolicy ×2, AWS::XRay::ResourcePolicy"
 * @param {Array<{ type: string }>} resources
 */
export const countByType = (resources) => {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const { type } of resources) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts].map(([type, n]) => (n > 1 ? `${type} ×${n}` : type)).join(', ');
};
