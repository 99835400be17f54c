import type { ChatEvent, ChatEventType } from '../chat/chat-event';
import { formatSseEvent } from '../sse/sse-format';

/**
 * An event as it travels and is stored: framed once, so the bytes a late or resuming client
 * gets are exactly the bytes the first client got.
 */
export interface LoggedEvent {
  id: number;
  type: ChatEventType;
  /** The complete SSE frame, `id: …\n…data: …\n\n`. */
  frame: string;
}

export function toLoggedEvent(event: ChatEvent): LoggedEvent {
  return { id: event.id, type: event.type, frame: formatSseEvent(event) };
}
