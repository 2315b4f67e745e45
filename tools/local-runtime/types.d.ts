// Types the local runtime's modules share, for their JSDoc: a compiled stack
// and what provisioning gives it, the resolver of its intrinsics, a log line.
// No runtime code: nothing loads this file.
import type { CfnResource, CfnTemplate, Json } from '@platform/serverless-base/types';
import type { InvokeOptions, InvokeResult } from './lambda/lambda-invoke.mjs';

export type { CfnResource, CfnTemplate, InvokeResult, Json };

/** Where a line of the local stack's output goes. */
export type Log = (line: string) => void;

/** A deployable service: a folder of services/ with a serverless.yml. */
export interface Service {
  name: string;
  dir: string;
}

/** A service with its compiled local template (cloudformation/compiled-stack.mjs). */
export interface CompiledStack extends Service {
  reused: boolean;
  compiledDir: string;
  template: CfnTemplate;
}

/** What a resource of a template became in the emulators: its Ref and its Fn::GetAtt attributes. */
export interface PhysicalId {
  ref: string;
  attributes: Record<string, Json>;
}

/** A template's logical ids and what they became locally. */
export type PhysicalIds = Map<string, PhysicalId>;

/** Resolves the intrinsics of a template value against what exists locally (cloudformation/cfn.mjs). */
export type Resolve = (value: Json) => Json;

/** A compiled stack once provisioned (cloudformation/provision.mjs). */
export interface ProvisionedStack extends CompiledStack {
  physicalIds: PhysicalIds;
  resolve: Resolve;
  /** Its tables that were there already (kept by LOCAL_PERSIST=1 from an earlier run). */
  keptTables?: string[];
  /** Its S3 buckets and what the local S3 front applies to them (cloudformation/s3-buckets.mjs). */
  buckets?: import('./cloudformation/s3-buckets.mjs').BucketSettings[];
}

/**
 * How the gateway and the pollers run a function (lambda/lambda-invoke.mjs,
 * createInvoker): never rejects for what the function did.
 */
export interface Invoke {
  (functionName: string, event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** How many invocations of the function may run at once. */
  concurrencyOf?(functionName: string): number;
}

/** What the gateway, the invoker and the pollers hand to the local console's recorder (stack/recorder.mjs). */
export interface HopRecorder {
  record(hop: { kind: string; at: number; [field: string]: unknown }): void;
}

/** The CORS configuration of an HTTP API (its template's CorsConfiguration). */
export interface CorsConfiguration {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
  AllowCredentials?: boolean;
}

/** Who may call a route with a JWT authorizer (gateway/http-routes.mjs). */
export interface RouteAuth {
  issuer: string;
  audience: string[];
  scopes: string[];
  identitySource: string;
}

/** One HTTP API route of a service, as the local gateway serves it (gateway/http-routes.mjs). */
export interface Route {
  service: string;
  method: string;
  path: string;
  routeKey: string;
  functionName: string;
  timeoutMs: number;
  cors?: CorsConfiguration;
  auth?: RouteAuth;
}

/** What the JWT authorizer answers for a request (gateway/jwt-authorizer.mjs). */
export type AuthVerdict =
  | { ok: true; context: Record<string, unknown> }
  | { ok: false; statusCode: number; code: string; message: string; wwwAuthenticate: string; reason: string };

/** The gateway's authorizer: verifies a route's token from the request's headers. */
export type Authorize = (auth: RouteAuth, headers: import('node:http').IncomingHttpHeaders) => Promise<AuthVerdict>;

/** A path the gateway answers itself (the API document, the dev issuer's keys): true when it did. */
export type GatewayExtra = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, pathname: string) => boolean;
