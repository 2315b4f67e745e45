// Holds every answer an e2e test gets to what the system's OpenAPI document
// promises (the check itself: libs/testing openapi-responses.cjs, shared with
// the fuzzer). The document is generated afresh from the schemas on first use
// (about half a second), so it is never older than the code under test;
// OPENAPI_DOCUMENT may name a file to use instead.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createResponseChecker, type ObservedResponse } from '@platform/testing';

const ROOT = path.resolve(__dirname, '../../..');
const GENERATOR = path.join(ROOT, 'tools/openapi/generate.mjs');

let checker: ReturnType<typeof createResponseChecker> | undefined;

const load = () => {
  const file = process.env.OPENAPI_DOCUMENT;
  const text = file
    ? readFileSync(file, 'utf8')
    : execFileSync(process.execPath, [GENERATOR, '--print'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return createResponseChecker(JSON.parse(text));
};

/** Throws unless the document lists `status` for the operation `method path` matches, with a body that fits its schema. */
export const assertMatchesOpenApi = (observed: ObservedResponse): void => {
  const problem = (checker ??= load()).mismatch(observed);
  if (problem) {
    throw new Error(`${observed.method.toUpperCase()} ${observed.path} → ${observed.status}: ${problem}\nbody: ${JSON.stringify(observed.body)?.slice(0, 1000)}`);
  }
};
