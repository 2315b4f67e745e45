import { ValidationError, type DomainError, type ErrorDetail } from '@platform/errors';
import type * as z from 'zod';

const toDetails = (issues: z.core.$ZodIssue[], prefix: string): ErrorDetail[] =>
  issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));

type ErrorFactory = (details: ErrorDetail[]) => DomainError;

const schemaViolation: ErrorFactory = (details) => new ValidationError('The request does not match the schema', details);

/**
 * Parses `input` with `schema`, or throws the error `toError` builds (by
 * default a ValidationError) with details naming each failing field.
 */
export const parseOrThrow = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix = '',
  toError: ErrorFactory = schemaViolation,
): z.output<S> => {
  const result = schema.safeParse(input);
  if (!result.success) throw toError(toDetails(result.error.issues, prefix));
  return result.data;
};
