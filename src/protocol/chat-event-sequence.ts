import type { ChatEvent, ChatEventType } from './chat-event';

type DataOf<T extends ChatEventType> = Extract<ChatEvent, { type: T }>['data'];

/** Numbers the events of one stream 0, 1, 2, … with no gaps. */
export class ChatEventSequence {
  private nextId = 0;

  get count(): number {
    return this.nextId;
  }

  make<T extends ChatEventType>(type: T, data: DataOf<T>): ChatEvent {
    return { id: this.nextId++, type, data } as ChatEvent;
  }
}
