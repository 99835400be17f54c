import { createParser } from 'eventsource-parser';
import type { ReceivedEvent, StreamResult } from './sse-client';

export interface HtmxRequestOptions {
  method?: 'GET' | 'POST';
  /** Form fields, in order; a name may repeat, as in a real form body. */
  form?: [string, string][];
  /** A raw body, sent as it is (with the caller's content-type), instead of `form`. */
  rawBody?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Called for each event as it arrives; return true to stop reading (closes the connection). */
  onEvent?: (event: ReceivedEvent) => boolean | void;
}

/**
 * What an htmx page's request sees of an htmx route: the status, and for an SSE answer every
 * event with its arrival time and the raw text, parsed with a real SSE parser. The body is a
 * form (`application/x-www-form-urlencoded`), as a browser sends it.
 */
export async function requestHtmx(
  url: string,
  options: HtmxRequestOptions = {},
): Promise<StreamResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const formBody = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      ...(formBody !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...options.headers,
    },
    body: options.rawBody ?? formBody,
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
  if (stop) await reader?.cancel().catch(() => undefined);
  result.endedAt = elapsed();
  return result;
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/** Escaped HTML text back to the text (only the entities the service writes). */
export function unescapeHtml(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]);
}

/**
 * The answer text carried by a stream's fragments: the content of every token `<span>` appended
 * to the answer, unescaped, in order. Reasoning spans (`hx-swap-oob` on the span) are not answer.
 */
export function fragmentAnswerText(result: StreamResult): string {
  return result.events
    .map((event) =>
      /^<div hx-swap-oob="beforeend:#answer-[^"]+"><span>([\s\S]*)<\/span><\/div>$/.exec(
        event.data,
      ),
    )
    .map((match) => (match ? unescapeHtml(match[1]) : ''))
    .join('');
}

/** The raw SSE blocks of a response (each event or field group, without its blank line). */
export function sseBlocks(raw: string): string[] {
  return raw.split('\n\n').filter((block) => block !== '');
}

/** The form an htmx page posts: its question, the request id it was given, a pipeline. */
export function questionForm(
  query: string,
  requestId: string,
  pipeline = 'chat',
): [string, string][] {
  return [
    ['query', query],
    ['requestId', requestId],
    ['pipeline', pipeline],
  ];
}
