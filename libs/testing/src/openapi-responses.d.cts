// Types of openapi-responses.cjs, for the TypeScript that loads it.
export interface ObservedResponse {
  method: string;
  /** As requested: the query string is ignored. */
  path: string;
  status: number;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body?: unknown;
  /** Whether any body came; defaults to body !== undefined. */
  hasBody?: boolean;
}
export declare function createResponseChecker(document: Record<string, unknown>): {
  mismatch(observed: ObservedResponse): string | undefined;
  templateFor(pathname: string): string | undefined;
};
