// Each service with functions runs under its own serverless-offline, which
// runs them with their serverless.yml environment, timeout and bundle; the
// local stack only calls its Lambda Invoke API (see lambda-invoke.mjs).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resourcesOfType } from '../cloudformation/cfn.mjs';
import { startChild } from '../stack/processes.mjs';
import { LOCAL_STAGE, SERVERLESS_BIN } from '../stack/services.mjs';

/** Whether serverless.yml has a top-level `functions:` key: known before its template is compiled. @param {import('@platform/local-runtime/types').Service} service */
export const declaresFunctions = (service) => /^functions:/m.test(readFileSync(path.join(service.dir, 'serverless.yml'), 'utf8'));

/** @param {import('@platform/local-runtime/types').CfnTemplate} template */
export const hasFunctions = (template) => resourcesOfType(template, 'AWS::Lambda::Function').length > 0;

/**
 * What the invoker needs to know of each function of a compiled template.
 * @param {import('@platform/local-runtime/types').CfnTemplate} template @param {number} lambdaPort
 * @returns {import('./lambda-invoke.mjs').LocalFunction[]}
 */
export const localFunctions = (template, lambdaPort) =>
  resourcesOfType(template, 'AWS::Lambda::Function').map(([, { Properties = {} }]) => ({
    name: Properties.FunctionName,
    lambdaPort,
    timeoutSeconds: Properties.Timeout ?? 6,
    reservedConcurrency: Properties.ReservedConcurrentExecutions,
  }));

/**
 * Starts serverless-offline for one service. Its own HTTP server gets a port
 * of its own but no traffic: the gateway invokes the functions directly.
 * @param {{ name: string, dir: string }} service
 * @param {{ lambda: number, http: number }} ports
 * @param {Record<string, string>} env
 */
// --noAuth concerns only serverless-offline's own HTTP server, which gets no traffic: the
// gateway verifies every token (jwt-authorizer.mjs). serverless-offline 14 never checks a JWT's
// signature (it needs --ignoreJWTSignature to use an authorizer at all) and, without it, fails
// to set up a route that names one.
export const startOffline = (service, ports, env) =>
  startChild(service.name, SERVERLESS_BIN, ['offline', 'start', '--stage', LOCAL_STAGE, '--noAuth', '--lambdaPort', String(ports.lambda), '--httpPort', String(ports.http)], {
    cwd: service.dir,
    // Its notices (a banner, a line per invocation) repeat what the gateway and the
    // pollers log, through one more pipe per line; its warnings and errors stay.
    env: { SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL || 'warning', ESBUILD_WORK_FOLDER: offlineWorkFolder(), ...env },
  });

/**
 * Where this stack's serverless-offline processes bundle the functions. Each
 * stack has its own: serverless-esbuild deletes its work folder when it stops,
 * and a shared .esbuild would vanish from under every other stack of this
 * checkout (`npm start` beside `npm test`), whose functions would then all fail.
 */
export const offlineWorkFolder = () => process.env.ESBUILD_WORK_FOLDER || `.esbuild-offline-${process.pid}`;

/** Removes this stack's work folders, in case a serverless-offline was killed before it cleaned up. @param {import('@platform/local-runtime/types').Service[]} services */
export const removeOfflineWorkFolders = (services) => {
  for (const service of services) rmSync(path.join(service.dir, offlineWorkFolder()), { recursive: true, force: true });
};
