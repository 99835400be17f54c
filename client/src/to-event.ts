import type { EventSourceMessage } from 'eventsource-parser';
import { EventData, malformed } from './event-data.js';
import type { ChatStreamEvent, EndEvent } from './events.js';

export interface ErrorEventData {
  code: string;
  message: string;
  retryable: boolean;
}

export type ParsedMessage =
  | { kind: 'event'; event: ChatStreamEvent }
  | { kind: 'error'; id: number; error: ErrorEventData }
  | { kind: 'done' }
  | { kind: 'ignored' };

const END_REASONS: readonly EndEvent['reason'][] = [
  'stop',
  'length',
  'cancelled',
  'error',
  'timeout',
  'shutdown',
];

type Reader = (data: EventData, id: number) => ParsedMessage;

const event = (value: ChatStreamEvent): ParsedMessage => ({ kind: 'event', event: value });

/** The events of the contract this client understands, by SSE event name (unnamed: token). */
const READERS = new Map<string, Reader>([
  ['token', (data, id) => event({ type: 'token', id, content: data.string('content') })],
  ['reasoning', (data, id) => event({ type: 'reasoning', id, content: data.string('content') })],
  [
    'tool_call',
    (data, id) =>
      event({
        type: 'tool_call',
        id,
        toolCallId: data.string('toolCallId'),
        name: data.string('name'),
        args: data.object('args'),
      }),
  ],
  [
    'tool_result',
    (data, id) =>
      event({
        type: 'tool_result',
        id,
        toolCallId: data.string('toolCallId'),
        name: data.string('name'),
        content: data.string('content'),
        isError: data.boolean('isError'),
      }),
  ],
  [
    'data',
    (data, id) =>
      event({ type: 'data', id, name: data.string('name'), data: data.anything('data') }),
  ],
  [
    'start',
    (data, id) =>
      event({
        type: 'start',
        id,
        requestId: data.string('requestId'),
        model: data.string('model'),
        provider: data.string('provider'),
        createdAt: data.string('createdAt'),
      }),
  ],
  [
    'usage',
    (data, id) =>
      event({
        type: 'usage',
        id,
        inputTokens: data.number('inputTokens'),
        outputTokens: data.number('outputTokens'),
        totalTokens: data.number('totalTokens'),
      }),
  ],
  ['end', (data, id) => event({ type: 'end', id, reason: data.oneOf('reason', END_REASONS) })],
  [
    'error',
    (data, id) => ({
      kind: 'error',
      id,
      error: {
        code: data.string('code'),
        message: data.string('message'),
        retryable: data.boolean('retryable'),
      },
    }),
  ],
]);

/**
 * Turns one SSE message of the wire contract into a typed event. Named events this client does
 * not know (ones a newer service may add) are skipped, so an old client keeps working; a known
 * one that breaks the contract (no numeric id, data that is not JSON or not its shape) throws
 * ChatProtocolError.
 */
export function parseMessage(message: EventSourceMessage): ParsedMessage {
  if (message.data === '[DONE]') return { kind: 'done' };
  const name = message.event ?? 'token';
  const reader = READERS.get(name);
  if (!reader) return { kind: 'ignored' };
  const id = Number(message.id);
  if (message.id === undefined || message.id === '' || !Number.isInteger(id)) {
    throw malformed({ name, id: undefined, problem: 'it has no numeric id' });
  }
  return reader(new EventData(jsonObject(message.data, name, id), name, id), id);
}

function jsonObject(text: string, name: string, id: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw malformed({ name, id, problem: 'its data is not valid JSON', cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed({ name, id, problem: 'its data is not a JSON object' });
  }
  return value as Record<string, unknown>;
}
