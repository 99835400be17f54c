import { createParser } from 'eventsource-parser';
import type { StreamResult } from './sse-client';

/** One request whose answer is read as SSE; the body is sent as it is. */
export interface TimedSseRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** JSON text, a urlencoded form…: whatever `headers` says it is. */
  body?: string;
}

/**
 * Reads any view's stream off the real socket with fetch and a real SSE parser, noting when each
 * event arrived. Unlike `readStream` (JSON bodies only) it sends any body, e.g. an htmx form.
 */
export async function readTimedSse(url: string, request: TimedSseRequest): Promise<StreamResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
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
  const parser = createParser({
    onEvent: ({ id, event, data }) => result.events.push({ id, event, data, at: elapsed() }),
    onComment: (text) => result.comments.push({ text, at: elapsed() }),
  });
  const decoder = new TextDecoder();
  const reader = response.body?.getReader();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    const text = decoder.decode(chunk.value, { stream: true });
    result.raw += text;
    parser.feed(text);
  }
  result.endedAt = elapsed();
  return result;
}

/** A urlencoded form body, as a browser submits one. */
export function formBody(fields: Record<string, string>): TimedSseRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

/** A JSON POST. */
export function jsonBody(value: unknown): TimedSseRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  };
}
