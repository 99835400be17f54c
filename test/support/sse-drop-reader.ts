import { createParser } from 'eventsource-parser';
import type { ReceivedEvent } from './sse-client';

/** A stream read to its close, whether the server ended it or cut it off. */
export interface ReadToClose {
  status: number;
  events: ReceivedEvent[];
  /** `ended`: the response completed; `dropped`: the connection broke mid-body. */
  ending: 'ended' | 'dropped';
  /** Whether the last line `data: [DONE]` arrived. */
  sawDone: boolean;
  /** ms since the request was sent, when the response ended or broke. */
  closedAt: number;
}

/**
 * Reads an SSE response with fetch and a real SSE parser until it closes, and says how it
 * closed. Unlike `readStream`, a connection that breaks mid-body is a result, not an error: it is
 * how the server tells a client to resume.
 */
export async function readToClose(
  url: string,
  options: { headers?: Record<string, string>; onEvent?: (event: ReceivedEvent) => void } = {},
): Promise<ReadToClose> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const response = await fetch(url, { headers: options.headers });
  const events: ReceivedEvent[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const event = { id: message.id, event: message.event, data: message.data, at: elapsed() };
      events.push(event);
      options.onEvent?.(event);
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body?.getReader();
  let ending: ReadToClose['ending'] = 'ended';
  try {
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  } catch {
    ending = 'dropped';
  }
  return {
    status: response.status,
    events,
    ending,
    sawDone: events.some((event) => event.data === '[DONE]'),
    closedAt: elapsed(),
  };
}
