import type { ChatEvent } from '../chat/chat-event';
import { toLoggedEvent, type LoggedEvent } from './logged-event';

/** `error` (internal_error) then `end` (error): how the server closes a stream it cannot finish. */
export function internalFailureEvents(nextId: number, message: string): LoggedEvent[] {
  const events: ChatEvent[] = [
    { id: nextId, type: 'error', data: { code: 'internal_error', message, retryable: true } },
    { id: nextId + 1, type: 'end', data: { reason: 'error' } },
  ];
  return events.map(toLoggedEvent);
}
