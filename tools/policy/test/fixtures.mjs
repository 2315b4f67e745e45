// Small hand-made CloudFormation for the policy tests: `template(...)` wraps
// resources, `lambda(...)` is one function using the role named, `role(...)` a
// Lambda role, with an inline policy of `statements` when given.

/** @param {Record<string, any>} Resources @param {Record<string, any>} [rest] */
export const template = (Resources, rest = {}) => ({ AWSTemplateFormatVersion: '2010-09-09', Resources, ...rest });

/** @param {Record<string, any>[]} [statements] */
export const role = (statements) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
    },
    ...(statements && { Policies: [{ PolicyName: 'fn', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }),
  },
});

/** @param {string} roleId @param {Record<string, any>} [properties] */
export const lambda = (roleId, properties = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Code: { S3Bucket: 'bucket', S3Key: 'serverless/svc/dev/1/fn.zip' },
    Handler: 'index.handler',
    Runtime: 'nodejs22.x',
    Timeout: 6,
    Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
    ...properties,
  },
});
