/**
 * One row change of a table, as its DynamoDB stream reports it, with the
 * images already unmarshalled. Services map these to domain events (the
 * transactional outbox) without knowing about Lambda's stream record format.
 */
export interface TableChange {
  kind: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  /**
   * The correlation id the write stamped on the row (correlationStamp), for the
   * event the change becomes. None for a REMOVE: a delete writes nothing, and
   * the old image names the flow of an earlier write, not of the delete.
   */
  correlationId?: string;
}
