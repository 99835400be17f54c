import type { ChatEvent } from './chat-event';
import { toStoredEvent, type StoredEvent } from './stored-event';

/** `error` (internal_error) then `end` (error): how the server closes a stream it cannot finish. */
export function internalFailureEvents(nextId: number, message: string): StoredEvent[] {
  const events: ChatEvent[] = [
    { id: nextId, type: 'error', data: { code: 'internal_error', message, retryable: true } },
    { id: nextId + 1, type: 'end', data: { reason: 'error' } },
  ];
  return events.map(toStoredEvent);
}
