import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ChatEvent } from '../chat-event';
import { toStoredEvent } from '../stored-event';
import { formatNativeFrame, SSE_DONE, SSE_PREAMBLE } from './native-sse';

const formatSseEvent = (event: ChatEvent): string => formatNativeFrame(toStoredEvent(event));

function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(text);
  return events;
}

describe('formatNativeFrame', () => {
  it('writes tokens as unnamed events and the rest as named ones', () => {
    expect(formatSseEvent({ id: 1, type: 'token', data: { content: 'Hel' } })).toBe(
      'id: 1\ndata: {"content":"Hel"}\n\n',
    );
    expect(formatSseEvent({ id: 4, type: 'end', data: { reason: 'stop' } })).toBe(
      'id: 4\nevent: end\ndata: {"reason":"stop"}\n\n',
    );
  });

  it.each([
    '\n\ndata: x',
    'line one\nline two\r\nline three\rfour',
    'event: end\ndata: {"reason":"stop"}\n\n',
    'id: 999\n\n',
    ': comment\n\n',
    '\u2028\u2029\u0000',
  ])('cannot be made to inject events by hostile content %j', (content) => {
    const text = SSE_PREAMBLE + formatSseEvent({ id: 7, type: 'token', data: { content } });
    const events = parse(text);
    expect(events).toHaveLength(1);
    expect(events[0].id).toBe('7');
    expect(events[0].event).toBeUndefined();
    expect(JSON.parse(events[0].data)).toEqual({ content });
  });

  it('keeps every character, including astral ones, and never emits a lone surrogate', () => {
    const content = '🙂 naïve 你好 \ud83d';
    const frame = formatSseEvent({ id: 2, type: 'token', data: { content } });
    const bytes = Buffer.from(frame, 'utf8');
    expect(bytes.toString('utf8')).toBe(frame);
    expect(frame).toContain('\\ud83d');
    expect(JSON.parse(parse(frame)[0].data)).toEqual({ content });
  });

  it('formats every event type of the contract', () => {
    const events: ChatEvent[] = [
      { id: 0, type: 'start', data: { requestId: 'r', model: 'm', provider: 'p', createdAt: 't' } },
      { id: 1, type: 'usage', data: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
      { id: 2, type: 'error', data: { code: 'upstream_error', message: 'x', retryable: true } },
    ];
    const parsed = parse(events.map(formatSseEvent).join('') + SSE_DONE);
    expect(parsed.map((event) => event.event)).toEqual(['start', 'usage', 'error', undefined]);
    expect(parsed.at(-1)?.data).toBe('[DONE]');
  });
});
