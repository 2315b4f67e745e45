import { setTimeout as sleep } from 'node:timers/promises';
import { currentCorrelationId, withCorrelationId } from '../src';

describe('correlation id', () => {
  it('is the flow’s own in each of several concurrent flows, however their awaits interleave', async () => {
    const seen = await Promise.all(
      ['flow-a', 'flow-b', 'flow-c'].map((id, i) =>
        withCorrelationId(id, async () => {
          await sleep(15 - i * 5);
          const afterWait = currentCorrelationId();
          await Promise.resolve();
          return [id, afterWait, currentCorrelationId()];
        }),
      ),
    );
    expect(seen).toEqual([
      ['flow-a', 'flow-a', 'flow-a'],
      ['flow-b', 'flow-b', 'flow-b'],
      ['flow-c', 'flow-c', 'flow-c'],
    ]);
    expect(currentCorrelationId()).toBeUndefined();
  });

  it('leaves code without one in the flow it runs in', async () => {
    expect(withCorrelationId(undefined, () => currentCorrelationId())).toBeUndefined();
    await withCorrelationId('outer', async () => {
      expect(withCorrelationId(undefined, () => currentCorrelationId())).toBe('outer');
    });
  });
});
