// Decides each request that reaches the enforcing proxies: whose key signed
// it, what it needs, and whether that function's role allows all of it.
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, functionAccessKeyId } from '../aws.cjs';
import { accessDeniedMessage, errorResponse, readAwsRequest, signerOf } from './aws-request.mjs';
import { evaluate } from './evaluate.mjs';
import { assumedRoleArn } from './policy-from-template.mjs';

/** The condition keys this layer can tell (lower case); a condition on any other fails closed. */
export const KNOWN_CONDITION_KEYS = new Set([
  'aws:requestedregion',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'dynamodb:leadingkeys',
  'dynamodb:enclosingoperation',
]);

/**
 * `writes` (write-log.mjs), when given, is told of each write a function's role allowed, and of the emulator's answer to it.
 * @param {{
 *   roles: Map<string, import('./policy-from-template.mjs').FunctionRole>,
 *   region: string,
 *   hashKeys?: Map<string, string>,
 *   log: (line: string) => void,
 *   writes?: ReturnType<typeof import('./write-log.mjs').createWriteLog>,
 * }} options
 * @returns {import('./enforcing-proxy.mjs').Authorizer}
 */
export const createAuthorizer = ({ roles, region, hashKeys = new Map(), log, writes }) => {
  const byAccessKey = new Map([...roles.values()].map((role) => [functionAccessKeyId(role.functionName), role]));
  const where = { region, accountId: LOCAL_ACCOUNT_ID, hashKeyOf: (/** @type {string} */ tableName) => hashKeys.get(tableName) };
  /** @type {Set<string>} */
  const said = new Set();
  /** The writes forwarded, by the request the proxy handed over, until the emulator answers. @type {WeakMap<object, import('./write-log.mjs').Write>} */
  const forwarded = new WeakMap();
  /** @param {string} line */
  const once = (line) => {
    if (said.has(line)) return;
    said.add(line);
    log(line);
  };

  return {
    passesThrough: (authorization) => signerOf(authorization)?.accessKeyId === LOCAL_CREDENTIALS.accessKeyId,

    answered: (call, status) => forwarded.get(call)?.settle(status),

    authorize: (call) => {
      const { headers, path, body } = call;
      const signer = signerOf(headers.authorization);
      /** @type {import('./aws-request.mjs').AwsRequest | undefined} */
      let request;
      try {
        request = readAwsRequest({ headers, path, body, signingService: signer?.service }, where);
      } catch {
        request = undefined;
      }
      const role = signer && byAccessKey.get(signer.accessKeyId);
      if (!request) {
        // Not a request this layer can read (and so cannot authorize): refused, as nothing a function sends should be.
        log(`DENIED ${role?.functionName ?? signer?.accessKeyId ?? 'unsigned'} (a request the local IAM layer cannot read: ${headers['x-amz-target'] ?? headers['content-type'] ?? 'no target'})`);
        return errorResponse({ service: 'dynamodb', protocol: 'json' }, 'AccessDenied', 'The local IAM layer cannot read this request');
      }
      if (!role) {
        const [first] = request.checks;
        log(`DENIED unknown access key ${signer?.accessKeyId ?? '(unsigned)'} ${first?.action} ${first?.resource}`);
        return errorResponse(request, 'UnrecognizedClient', 'The security token included in the request is invalid.');
      }
      const principal = {
        'aws:requestedregion': signer?.region ?? region,
        'aws:principalarn': `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${role.roleName}`,
        'aws:principalaccount': LOCAL_ACCOUNT_ID,
        'aws:principaltype': 'AssumedRole',
      };
      for (const check of request.checks) {
        const verdict = evaluate(
          role.statements,
          { ...check, context: { ...principal, ...check.context } },
          { knownKeys: KNOWN_CONDITION_KEYS, onUnsupported: (what) => once(`${role.functionName}: a statement's condition ${what} cannot be evaluated locally, so it grants nothing (a Deny with it denies)`) },
        );
        if (verdict.decision === 'Allow') continue;
        const explicit = verdict.decision === 'ExplicitDeny';
        log(`DENIED ${role.functionName} ${check.action} ${check.resource}${explicit ? ' (explicit deny)' : ''}`);
        const message = accessDeniedMessage({ principalArn: assumedRoleArn(role), action: check.action, resource: check.resource, explicit, service: request.service });
        return errorResponse(request, 'AccessDenied', message);
      }
      const write = writes?.begin({ functionName: role.functionName, operation: request.operation, checks: request.checks, body });
      if (write) forwarded.set(call, write);
      return undefined;
    },
  };
};
