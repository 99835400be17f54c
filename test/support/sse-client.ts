import { createParser } from 'eventsource-parser';

/** One SSE event as a client saw it, with when it arrived. */
export interface ReceivedEvent {
  id?: string;
  event?: string;
  data: string;
  /** ms since the request was sent */
  at: number;
}

export interface StreamResult {
  status: number;
  headers: Headers;
  /** ms since the request was sent, when the status and headers arrived */
  headersAt: number;
  events: ReceivedEvent[];
  comments: { text: string; at: number }[];
  raw: string;
  /** ms since the request was sent, when the response ended */
  endedAt: number;
}

export interface OpenStreamOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Called for each event as it arrives; return true to stop reading (the caller aborts). */
  onEvent?: (event: ReceivedEvent) => boolean | void;
}

/** Reads a stream off the real socket with fetch and a real SSE parser. */
export async function readStream(
  url: string,
  options: OpenStreamOptions = {},
): Promise<StreamResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const result: StreamResult = {
    status: response.status,
    headers: response.headers,
    headersAt: elapsed(),
    events: [],
    comments: [],
    raw: '',
    endedAt: 0,
  };
  let stop = false;
  const parser = createParser({
    onEvent: (message) => {
      // Once the caller has stopped, later events in the same network chunk were never "read".
      if (stop) return;
      const event = { id: message.id, event: message.event, data: message.data, at: elapsed() };
      result.events.push(event);
      if (options.onEvent?.(event) === true) stop = true;
    },
    onComment: (text) => result.comments.push({ text, at: elapsed() }),
  });
  const decoder = new TextDecoder();
  const reader = response.body?.getReader();
  while (reader && !stop) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    result.raw += text;
    parser.feed(text);
  }
  if (stop) {
    // Closes the connection; rejects if the caller already aborted it, which is just as closed.
    await reader?.cancel().catch(() => undefined);
  }
  result.endedAt = elapsed();
  return result;
}

/** The parsed data of every event named `name` (tokens have no name: pass undefined). */
export function dataOf<T>(result: StreamResult, name: string | undefined): T[] {
  return result.events
    .filter((event) => event.event === name && event.data !== '[DONE]')
    .map((event) => JSON.parse(event.data) as T);
}

export function tokenText(result: StreamResult): string {
  return dataOf<{ content: string }>(result, undefined)
    .map((token) => token.content)
    .join('');
}

export function endReason(result: StreamResult): string | undefined {
  return dataOf<{ reason: string }>(result, 'end').at(-1)?.reason;
}
