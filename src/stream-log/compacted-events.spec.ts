import { toStoredEvent, type StoredEvent } from '../protocol/stored-event';
import { CompactedEvents } from './compacted-events';

describe('CompactedEvents', () => {
  const events: StoredEvent[] = [
    toStoredEvent({
      id: 0,
      type: 'start',
      data: { requestId: 'r', model: 'm', provider: 'p', createdAt: 't' },
    }),
    toStoredEvent({ id: 1, type: 'token', data: { content: 'naïve 🙂 你好' } }),
    toStoredEvent({ id: 2, type: 'token', data: { content: '\n\ndata: x' } }),
    toStoredEvent({
      id: 3,
      type: 'usage',
      data: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    }),
    toStoredEvent({
      id: 4,
      type: 'error',
      data: { code: 'upstream_error', message: 'x', retryable: true },
    }),
    toStoredEvent({ id: 5, type: 'end', data: { reason: 'error' } }),
  ];

  it('gives back exactly the events it packed, byte for byte', () => {
    const packed = new CompactedEvents(events);
    expect(packed.length).toBe(6);
    expect(packed.slice(0, 6)).toEqual(events);
  });

  it('slices like an array, clamping out-of-range bounds', () => {
    const packed = new CompactedEvents(events);
    expect(packed.slice(2, 4)).toEqual(events.slice(2, 4));
    expect(packed.slice(5, 100)).toEqual(events.slice(5));
    expect(packed.slice(6, 10)).toEqual([]);
    expect(new CompactedEvents([]).slice(0, 10)).toEqual([]);
  });
});
