// Types of what the deploy configuration handles, for the JSDoc of its .cjs
// and .js files (and of the local runtime's Serverless plugins): the parts of
// a CloudFormation template and of the Serverless Framework they use. No
// runtime code: nothing loads this file.

/** A JSON value of a template: properties are CloudFormation's, not ours to type. */
export type Json = any;

export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  Condition?: string;
  [attribute: string]: Json;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, Json>;
  [section: string]: Json;
}

/** A function as `serverless.service.getFunction()` gives it. */
export interface ServerlessFunction {
  name: string;
  handler?: string;
  environment?: Record<string, Json>;
  [setting: string]: Json;
}

/** The parts of the framework's `serverless` object the plugins use. */
export interface Serverless {
  service: {
    service: string;
    provider: {
      stage: string;
      region: string;
      stackName?: string;
      compiledCloudFormationTemplate: CfnTemplate;
      tracing?: { lambda?: boolean | string };
      [setting: string]: Json;
    };
    custom?: Record<string, Json>;
    /** serverless.yml's `functions`, resolved, by key. */
    functions?: Record<string, ServerlessFunction>;
    /** serverless.yml's `resources`, resolved (CloudFormation intrinsics stay as they are). */
    resources?: { Resources?: Record<string, CfnResource>; Outputs?: Record<string, Json>; [section: string]: Json };
    getAllFunctions(): string[];
    getFunction(key: string): ServerlessFunction;
  };
  classes: { Error: new (message: string) => Error };
  processedInput?: { commands?: string[]; options?: Record<string, Json> };
  getProvider(name: 'aws'): { getStage(): string };
}

/** How the framework lets a `${file(...)}` JS module read variables: `resolveVariable('sls:stage')`. */
export type ResolveVariable = (variable: string) => Promise<Json>;
