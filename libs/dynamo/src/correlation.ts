import { currentCorrelationId } from '@platform/observability';

/**
 * The attribute that records, on a row, which flow last wrote it: the
 * correlation id (see @platform/observability) of the request or event being
 * handled. The table's stream carries it to the outbox relay, which puts it on
 * the event the change becomes. It is row metadata, never part of a domain
 * object (withoutKeys strips it).
 */
export const CORRELATION_ID = 'correlationId';

/** The stamp to spread into an item written in the current flow; empty outside one. */
export const correlationStamp = (): { [CORRELATION_ID]?: string } => {
  const correlationId = currentCorrelationId();
  return correlationId ? { [CORRELATION_ID]: correlationId } : {};
};

/** The same stamp for an UpdateExpression: a clause to append to its SET list, and its value. */
export const correlationAssignment = (): { clause: string; values: Record<string, string> } => {
  const correlationId = currentCorrelationId();
  return correlationId
    ? { clause: `, ${CORRELATION_ID} = :correlationId`, values: { ':correlationId': correlationId } }
    : { clause: '', values: {} };
};

/** The flow that wrote a row, as a stream image shows it. */
export const correlationIdOf = (image: Record<string, unknown> | undefined): string | undefined => {
  const value = image?.[CORRELATION_ID];
  return typeof value === 'string' && value !== '' ? value : undefined;
};
