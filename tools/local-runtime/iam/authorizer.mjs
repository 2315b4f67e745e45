// Decides each request that reaches the enforcing proxies: whose key signed
// it, what it needs, and whether that function's role allows all of it.
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, functionAccessKeyId } from '../aws.cjs';
import { Unreadable, accessDeniedMessage, errorResponse, readAwsRequest, signerOf, wireProtocolOf } from './aws-request.mjs';
import { evaluate } from './evaluate.mjs';
import { assumedRoleArn } from './policy-from-template.mjs';
import { PUBLISH_OPERATIONS, publishHop } from './publish-hop.mjs';

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
 * `recorder` (stack/recorder.mjs), when given, records each SNS Publish or PublishBatch allowed and answered 2xx (publish-hop.mjs).
 * @param {{
 *   roles: Map<string, import('./policy-from-template.mjs').FunctionRole>,
 *   region: string,
 *   hashKeys?: Map<string, string>,
 *   log: (line: string) => void,
 *   writes?: ReturnType<typeof import('./write-log.mjs').createWriteLog>,
 *   recorder?: { record: (hop: import('./publish-hop.mjs').PublishHop) => void },
 * }} options
 * @returns {import('./enforcing-proxy.mjs').Authorizer}
 */
export const createAuthorizer = ({ roles, region, hashKeys = new Map(), log, writes, recorder }) => {
  const byAccessKey = new Map([...roles.values()].map((role) => [functionAccessKeyId(role.functionName), role]));
  const where = { region, accountId: LOCAL_ACCOUNT_ID, hashKeyOf: (/** @type {string} */ tableName) => hashKeys.get(tableName) };
  /** @type {Set<string>} */
  const said = new Set();
  /** The writes forwarded, by the request the proxy handed over, until the emulator answers. @type {WeakMap<object, import('./write-log.mjs').Write>} */
  const forwarded = new WeakMap();
  /** The publishes forwarded, until the emulator answers: recorded if it took them. @type {WeakMap<object, import('./publish-hop.mjs').PublishHop>} */
  const publishing = new WeakMap();
  /** @param {string} line */
  const once = (line) => {
    if (said.has(line)) return;
    said.add(line);
    log(line);
  };

  return {
    passesThrough: (authorization) => signerOf(authorization)?.accessKeyId === LOCAL_CREDENTIALS.accessKeyId,

    answered: (call, status) => {
      forwarded.get(call)?.settle(status);
      const publish = publishing.get(call);
      if (publish && status >= 200 && status < 300) recorder?.record(publish);
    },

    authorize: (call) => {
      const { emulator, method, headers, path, body } = call;
      const signer = signerOf(headers.authorization);
      const role = signer && byAccessKey.get(signer.accessKeyId);
      const who = role?.functionName ?? signer?.accessKeyId ?? 'unsigned';
      // Only what is read is forwarded: a request in any other shape could reach another service or path of the emulator than the one authorized.
      const wire = wireProtocolOf({ emulator, method, path, headers, signingService: signer?.service });
      if ('refused' in wire) {
        log(`DENIED ${who} (a request the local IAM layer does not forward: ${wire.refused})`);
        return { refused: errorResponse(wire.protocol, 'UnknownOperation', `The local IAM layer does not forward this request: ${wire.refused}`) };
      }
      /** @type {import('./aws-request.mjs').AwsRequest} */
      let request;
      try {
        request = readAwsRequest({ emulator, method, headers, path, body, signingService: signer?.service }, where);
      } catch (error) {
        // Not a request this layer can read (and so cannot authorize): refused, as nothing a function sends should be.
        const why = error instanceof Unreadable ? error.message : `a body that is not ${wire.protocol === 'json' ? 'JSON' : 'a form'}`;
        log(`DENIED ${who} (a request the local IAM layer cannot read: ${why})`);
        return { refused: errorResponse(wire, 'AccessDenied', `The local IAM layer cannot read this request: ${why}`) };
      }
      if (!role) {
        const [first] = request.checks;
        log(`DENIED unknown access key ${signer?.accessKeyId ?? '(unsigned)'} ${first?.action} ${first?.resource}`);
        return { refused: errorResponse(request, 'UnrecognizedClient', 'The security token included in the request is invalid.') };
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
        return { refused: errorResponse(request, 'AccessDenied', message) };
      }
      const write = writes?.begin({ functionName: role.functionName, operation: request.operation, checks: request.checks, body });
      if (write) forwarded.set(call, write);
      if (recorder && request.params && PUBLISH_OPERATIONS.has(request.operation)) {
        const publish = publishHop({ at: Date.now(), functionName: role.functionName, operation: request.operation, params: request.params });
        if (publish) publishing.set(call, publish);
      }
      return { forwardHeaders: request.forwardHeaders, caller: role.functionName, service: request.service, operation: request.operation, resources: request.checks.map((check) => check.resource) };
    },
  };
};
