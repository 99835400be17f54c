import { createParser } from 'eventsource-parser';
import type { ReceivedEvent } from './sse-client';

/**
 * A stream request whose answer is known as soon as its headers arrive, while its body keeps
 * being read in the background. Limit tests need this: the admitted streams must stay open (and
 * be drained, so backpressure cannot stall them) while every other answer is counted.
 */
export interface HeldStream {
  status: number;
  headers: Headers;
  /** The JSON body of a refusal (any status but 200). */
  error?: unknown;
  /** The events read so far (live: grows while the response is being read). */
  events: ReceivedEvent[];
  /** Every event read, once the response ended or the client hung up. */
  done: Promise<ReceivedEvent[]>;
  /** Closes the connection, as a client that leaves does. */
  hangUp(): void;
}

export interface HoldOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
}

export async function holdStream(url: string, options: HoldOptions = {}): Promise<HeldStream> {
  const started = performance.now();
  const controller = new AbortController();
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: controller.signal,
  });
  const hangUp = (): void => controller.abort();
  if (response.status !== 200) {
    const text = await response.text();
    const error: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    return {
      status: response.status,
      headers: response.headers,
      error,
      events: [],
      done: Promise.resolve([]),
      hangUp,
    };
  }
  const events: ReceivedEvent[] = [];
  const parser = createParser({
    onEvent: ({ id, event, data }) =>
      events.push({ id, event, data, at: performance.now() - started }),
  });
  const drain = async (): Promise<ReceivedEvent[]> => {
    const decoder = new TextDecoder();
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
    } catch {
      // The client hung up (hangUp) or the server cut the connection: what was read stands.
    }
    return events;
  };
  return { status: 200, headers: response.headers, events, done: drain(), hangUp };
}

/** Sends `count` requests at once and waits for every status (not for the admitted bodies). */
export function holdMany(
  count: number,
  request: (index: number) => { url: string; options: HoldOptions },
): Promise<HeldStream[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => {
      const { url, options } = request(index);
      return holdStream(url, options);
    }),
  );
}

/** The `reason` of the last `end` event among `events`. */
export function endReasonOf(events: ReceivedEvent[]): string | undefined {
  const end = events.filter((event) => event.event === 'end').at(-1);
  return end ? (JSON.parse(end.data) as { reason: string }).reason : undefined;
}
