import { withCorrelationId } from '@platform/observability';
import { correlationAssignment, correlationIdOf, correlationStamp, withoutKeys } from '../src';

describe('the correlation stamp on rows', () => {
  it('stamps what is written in a flow with its correlation id, and nothing outside one', () => {
    expect(withCorrelationId('req-1', () => correlationStamp())).toEqual({ correlationId: 'req-1' });
    expect(correlationStamp()).toEqual({});
    expect(withCorrelationId('req-1', () => correlationAssignment())).toEqual({
      clause: ', correlationId = :correlationId',
      values: { ':correlationId': 'req-1' },
    });
    expect(correlationAssignment()).toEqual({ clause: '', values: {} });
  });

  it('reads it back from a stream image, and keeps it out of domain objects', () => {
    const row = { pk: 'ORDER#1', sk: 'ORDER', id: '1', correlationId: 'req-1' };
    expect(correlationIdOf(row)).toBe('req-1');
    expect(correlationIdOf({ id: '1' })).toBeUndefined();
    expect(correlationIdOf(undefined)).toBeUndefined();
    expect(withoutKeys(row)).toEqual({ id: '1' });
  });
});
