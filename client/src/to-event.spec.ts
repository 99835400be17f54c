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

  it('turns reasoning, tool calls, tool results and custom data into typed events', () => {
    expect(
      parseMessage(message({ id: '2', event: 'reasoning', data: '{"content":"Hm"}' })),
    ).toEqual({ kind: 'event', event: { type: 'reasoning', id: 2, content: 'Hm' } });
    expect(
      parseMessage(
        message({
          id: '3',
          event: 'tool_call',
          data: '{"toolCallId":"c1","name":"calculator","args":{"expression":"12 * 7"}}',
        }),
      ),
    ).toEqual({
      kind: 'event',
      event: {
        type: 'tool_call',
        id: 3,
        toolCallId: 'c1',
        name: 'calculator',
        args: { expression: '12 * 7' },
      },
    });
    expect(
      parseMessage(
        message({
          id: '4',
          event: 'tool_result',
          data: '{"toolCallId":"c1","name":"calculator","content":"84","isError":false}',
        }),
      ),
    ).toEqual({
      kind: 'event',
      event: {
        type: 'tool_result',
        id: 4,
        toolCallId: 'c1',
        name: 'calculator',
        content: '84',
        isError: false,
      },
    });
    expect(
      parseMessage(
        message({ id: '5', event: 'data', data: '{"name":"progress","data":[1,null]}' }),
      ),
    ).toEqual({ kind: 'event', event: { type: 'data', id: 5, name: 'progress', data: [1, null] } });
  });

  it('a data event without a payload (dispatchCustomEvent with undefined) is still an event', () => {
    expect(parseMessage(message({ id: '5', event: 'data', data: '{"name":"tick"}' }))).toEqual({
      kind: 'event',
      event: { type: 'data', id: 5, name: 'tick', data: undefined },
    });
  });

  it('skips named events it does not know, whatever their data', () => {
    expect(parseMessage(message({ id: '2', event: 'citation', data: '{not json' }))).toEqual({
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
    [
      'reasoning without content',
      { id: '2', event: 'reasoning', data: '{"text":"Hm"}' },
      '"content" is not a string',
    ],
    [
      'a tool call whose args are a JSON string, not an object',
      {
        id: '3',
        event: 'tool_call',
        data: '{"toolCallId":"c1","name":"calculator","args":"{\\"expression\\":1}"}',
      },
      '"args" is not a JSON object',
    ],
    [
      'a tool call whose args are a list',
      { id: '3', event: 'tool_call', data: '{"toolCallId":"c1","name":"calculator","args":[]}' },
      '"args" is not a JSON object',
    ],
    [
      'a tool call without an id',
      { id: '3', event: 'tool_call', data: '{"name":"calculator","args":{}}' },
      '"toolCallId" is not a string',
    ],
    [
      'a tool result with a text isError',
      {
        id: '4',
        event: 'tool_result',
        data: '{"toolCallId":"c1","name":"calculator","content":"84","isError":"no"}',
      },
      '"isError" is not a boolean',
    ],
    [
      'a tool result whose content is an object',
      {
        id: '4',
        event: 'tool_result',
        data: '{"toolCallId":"c1","name":"calculator","content":{"v":84},"isError":false}',
      },
      '"content" is not a string',
    ],
    [
      'a data event without a name',
      { id: '5', event: 'data', data: '{"data":1}' },
      '"name" is not a string',
    ],
    [
      'a tool call that is not JSON',
      { id: '3', event: 'tool_call', data: '{"toolCallId":"c1",' },
      'its data is not valid JSON',
    ],
    ['a known event without an id', { data: '{"content":"x"}' }, 'it has no numeric id'],
    ['a tool result without an id', { event: 'tool_result', data: '{}' }, 'it has no numeric id'],
    ['a known event with a text id', { id: 'x', data: '{"content":"x"}' }, 'it has no numeric id'],
  ])('%s is a ChatProtocolError', (_, fields, problem) => {
    expect(protocolError(fields).message).toContain(problem);
  });
});
