import type { ChatEvent, ChatEventType } from './chat-event';

/**
 * An event as it travels from the generation to the log and to every client: its id, its type,
 * and its data as JSON, serialised once. Every wire view renders from this form, so what a late,
 * resuming or other-protocol client gets is exactly what the first client got.
 */
export interface StoredEvent {
  id: number;
  type: ChatEventType;
  /** `JSON.stringify` of the event's data. */
  data: string;
}

export function toStoredEvent(event: ChatEvent): StoredEvent {
  return { id: event.id, type: event.type, data: JSON.stringify(event.data) };
}

/** The typed event back from its stored form. */
export function toChatEvent(event: StoredEvent): ChatEvent {
  return { id: event.id, type: event.type, data: JSON.parse(event.data) as unknown } as ChatEvent;
}
