// Types of local-aws.cjs, for the TypeScript that loads it.
export declare const LOCAL_ACCOUNT_ID: string;
export declare const DEFAULT_REGION: string;
export declare const LOCAL_JWT_ISSUER: string;
export declare const LOCAL_JWT_AUDIENCE: string;
export declare const LOCAL_CREDENTIALS: { accessKeyId: string; secretAccessKey: string };
export declare function functionAccessKeyId(functionName: string): string;
export declare function functionSecretAccessKey(functionName: string): string;
export declare function localAwsEnv(options?: { region?: string; dynamodbPort?: number; snsSqsPort?: number; s3Port?: number }): Record<string, string>;
export declare function localClientConfig(endpoint: string): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
export declare function useLocalCredentials(env?: NodeJS.ProcessEnv): void;
export declare function freePort(): Promise<number>;
export declare function reservePorts(singles: number, runLength: number): Promise<{ ports: number[]; runBase: number }>;
