import type { EventSourceMessage } from 'eventsource-parser';
import type { ChatStreamEvent } from './events.js';

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

/** Turns one SSE message of the wire contract into a typed event. */
export function parseMessage(message: EventSourceMessage): ParsedMessage {
  if (message.data === '[DONE]') return { kind: 'done' };
  const id = Number(message.id);
  if (message.id === undefined || !Number.isInteger(id)) return { kind: 'ignored' };
  const data = JSON.parse(message.data) as Record<string, unknown>;
  switch (message.event ?? 'token') {
    case 'token':
      return { kind: 'event', event: { type: 'token', id, content: String(data.content) } };
    case 'start':
    case 'usage':
    case 'end':
      return { kind: 'event', event: { ...data, type: message.event, id } as ChatStreamEvent };
    case 'error':
      return { kind: 'error', id, error: data as unknown as ErrorEventData };
    default:
      return { kind: 'ignored' };
  }
}
