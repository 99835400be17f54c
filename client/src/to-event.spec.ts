import type { EventSourceMessage } from 'eventsource-parser';
import { ChatProtocolError } from './errors.js';
import { parseMessage } from './to-event.js';

const message = (fields: Partial<EventSourceMessage>): EventSourceMessage => ({
  id: undefined,
  event: undefined,
  data: '',
  ...fields,
});

function protocolError(fields: Partial<EventSourceMessage>): ChatProtocolError {
  try {
    parseMessage(message(fields));
  } catch (error: unknown) {
    if (error instanceof ChatProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ChatProtocolError');
}

describe('parseMessage', () => {
  it('turns the events of the contract into typed events', () => {
    expect(parseMessage(message({ id: '1', data: '{"content":"Hel"}' }))).toEqual({
      kind: 'event',
      event: { type: 'token', id: 1, content: 'Hel' },
    });
    expect(
      parseMessage(message({ id: '7', event: 'end', data: '{"reason":"cancelled"}' })),
    ).toEqual({ kind: 'event', event: { type: 'end', id: 7, reason: 'cancelled' } });
    expect(
      parseMessage(
        message({
          id: '3',
          event: 'error',
          data: '{"code":"upstream_error","message":"m","retryable":true}',
        }),
      ),
    ).toEqual({
      kind: 'error',
      id: 3,
      error: { code: 'upstream_error', message: 'm', retryable: true },
    });
    expect(parseMessage(message({ data: '[DONE]' }))).toEqual({ kind: 'done' });
  });

  it('skips named events it does not know, whatever their data', () => {
    expect(parseMessage(message({ id: '2', event: 'reasoning', data: '{not json' }))).toEqual({
      kind: 'ignored',
    });
    expect(parseMessage(message({ id: '2', event: 'constructor', data: '{}' }))).toEqual({
      kind: 'ignored',
    });
  });

  it('data that is not JSON is a ChatProtocolError naming the event, the parse error its cause', () => {
    const error = protocolError({ id: '5', data: '{"content":"Hel' });
    expect(error).toMatchObject({ eventName: 'token', eventId: 5 });
    expect(error.message).toBe('Malformed "token" event 5: its data is not valid JSON.');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each<[string, Partial<EventSourceMessage>, string]>([
    ['data that is not an object', { id: '1', data: 'null' }, 'its data is not a JSON object'],
    ['an array', { id: '1', data: '[]' }, 'its data is not a JSON object'],
    ['a token without content', { id: '1', data: '{"text":"x"}' }, '"content" is not a string'],
    [
      'usage with text for numbers',
      {
        id: '6',
        event: 'usage',
        data: '{"inputTokens":"1","outputTokens":2,"totalTokens":3}',
      },
      '"inputTokens" is not a number',
    ],
    [
      'an error without retryable',
      { id: '4', event: 'error', data: '{"code":"x","message":"y"}' },
      '"retryable" is not a boolean',
    ],
    [
      'an end with an unknown reason',
      { id: '9', event: 'end', data: '{"reason":"later"}' },
      '"reason" is not one of stop, length, cancelled, error, timeout, shutdown',
    ],
    ['a known event without an id', { data: '{"content":"x"}' }, 'it has no numeric id'],
    ['a known event with a text id', { id: 'x', data: '{"content":"x"}' }, 'it has no numeric id'],
  ])('%s is a ChatProtocolError', (_, fields, problem) => {
    expect(protocolError(fields).message).toContain(problem);
  });
});
