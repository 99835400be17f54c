import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** The SSE messages of a response body, parsed by eventsource-parser as they arrive. */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as EventSourceMessage;
    }
  } finally {
    reader.releaseLock();
  }
}
