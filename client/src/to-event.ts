import type { EventSourceMessage } from 'eventsource-parser';
import { ChatProtocolError } from './errors.js';
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

const isOneOf = <T extends string>(allowed: readonly T[], value: string): value is T =>
  (allowed as readonly string[]).includes(value);

/** Checked access to one event's data; any mismatch is a ChatProtocolError naming the event. */
class EventData {
  constructor(
    private readonly fields: Record<string, unknown>,
    private readonly name: string,
    private readonly id: number,
  ) {}

  string(key: string): string {
    return this.typed(key, 'string') as string;
  }

  number(key: string): number {
    return this.typed(key, 'number') as number;
  }

  boolean(key: string): boolean {
    return this.typed(key, 'boolean') as boolean;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    if (!isOneOf(allowed, value)) {
      throw this.malformed(`"${key}" is not one of ${allowed.join(', ')}`);
    }
    return value;
  }

  malformed(problem: string, cause?: unknown): ChatProtocolError {
    return malformed({ name: this.name, id: this.id, problem, cause });
  }

  private typed(key: string, type: 'string' | 'number' | 'boolean'): unknown {
    const value = this.fields[key];
    if (typeof value !== type) throw this.malformed(`"${key}" is not a ${type}`);
    return value;
  }
}

function malformed(options: {
  name: string;
  id: number | undefined;
  problem: string;
  cause?: unknown;
}): ChatProtocolError {
  const { name, id, problem, cause } = options;
  const which = id === undefined ? `"${name}" event` : `"${name}" event ${id}`;
  return new ChatProtocolError(`Malformed ${which}: ${problem}.`, name, id, { cause });
}

type Reader = (data: EventData, id: number) => ParsedMessage;

const event = (value: ChatStreamEvent): ParsedMessage => ({ kind: 'event', event: value });

/** The events of the contract this client understands, by SSE event name (unnamed: token). */
const READERS = new Map<string, Reader>([
  ['token', (data, id) => event({ type: 'token', id, content: data.string('content') })],
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
 * not know (newer ones: reasoning, tool_call…) are skipped; a known one that breaks the contract
 * (no numeric id, data that is not JSON or not its shape) throws ChatProtocolError.
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
