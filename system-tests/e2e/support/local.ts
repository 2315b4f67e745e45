import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '@platform/local-runtime/aws';
import { assertMatchesOpenApi } from './openapi-validator';

// What the e2e global setup started (see stack.global-setup.ts).
const required = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through system-tests/e2e/jest.config.js`);
  return value;
};

export const apiUrl = () => required('E2E_API_URL');
export const stackOutput = () => readFileSync(required('E2E_STACK_LOG'), 'utf8');

export const dynamodb = () => new DynamoDBClient(localClientConfig(required('E2E_DYNAMODB_ENDPOINT')));
export const sns = () => new SNSClient(localClientConfig(required('E2E_SNS_SQS_ENDPOINT')));
export const sqs = () => new SQSClient(localClientConfig(required('E2E_SNS_SQS_ENDPOINT')));
/** The local S3 front with the stack's admin key (no IAM check), path-style. */
export const s3 = () => new S3Client({ ...localClientConfig(required('E2E_S3_ENDPOINT')), forcePathStyle: true });
export const s3Endpoint = () => required('E2E_S3_ENDPOINT');

export const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  // Every answer the e2e tests see must be one the API's OpenAPI document promises.
  assertMatchesOpenApi({ method, path, status: response.status, body: json });
  return { status: response.status, headers: response.headers, text, json };
};

const TOKEN_COMMAND = require.resolve('@platform/local-runtime/token');
const tokens = new Map<string, string>();

/** A bearer token from the local dev issuer, made the way a user makes one (`npm run -s token`), once per email and scopes. */
export const tokenFor = (email: string, ...scopes: string[]) => {
  const key = [email, ...scopes].join(' ');
  let token = tokens.get(key);
  if (!token) {
    token = execFileSync(process.execPath, [TOKEN_COMMAND, '--email', email, ...scopes.flatMap((scope) => ['--scope', scope])], { encoding: 'utf8' }).trim();
    tokens.set(key, token);
  }
  return token;
};

/** The Authorization header of a caller with this email and these scopes. */
export const as = (email: string, ...scopes: string[]) => ({ authorization: `Bearer ${tokenFor(email, ...scopes)}` });

/** Catalogue staff (items:write) and two customers. */
export const callers = {
  staff: () => as('staff@example.com', 'items:write'),
  ada: () => as('ada@example.com'),
  bob: () => as('bob@example.com'),
};

export const waitFor = async <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${stackOutput().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

export { scanTable as scan } from '@platform/testing';
