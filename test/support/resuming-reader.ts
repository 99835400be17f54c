import { createParser } from 'eventsource-parser';
import type { ReceivedEvent } from './sse-client';

/** One response a resuming reader got. */
export interface ReadAttempt {
  /** HTTP status, or 0 when the request itself failed (connection refused or reset). */
  status: number;
  lastEventId?: string;
  /** Complete events of this response, `[DONE]` included. */
  events: ReceivedEvent[];
  /** Every byte of the body that arrived, even when the connection was cut mid-way. */
  raw: string;
  /** Whether the body ended cleanly (false: the connection was closed on it). */
  cleanEnd: boolean;
}

export interface ResumedRead {
  /** performance.now() when the first request was sent; every `at` counts from here. */
  startedAt: number;
  attempts: ReadAttempt[];
  /** Every event in the order received, over all attempts; `[DONE]` excluded. */
  events: ReceivedEvent[];
}

export interface ResumingReadOptions {
  /** Give up (and report what arrived) after this long. */
  deadlineMs: number;
  /** Pause before retrying after a drop or an error status. */
  retryDelayMs: number;
}

/**
 * Reads `GET url` like a careful SSE client: when the response is cut before `[DONE]`, or the
 * server answers 5xx, it waits and asks again with `Last-Event-ID` set to the last id it got.
 * Unlike `readStream` it keeps what arrived before a cut, bytes included, so a test can check
 * the pieces add up to exactly the stream.
 */
export async function readResuming(
  url: string,
  options: ResumingReadOptions,
): Promise<ResumedRead> {
  const started = performance.now();
  const result: ResumedRead = { startedAt: started, attempts: [], events: [] };
  while (performance.now() - started < options.deadlineMs) {
    const lastEventId = result.events.filter((event) => event.id !== undefined).at(-1)?.id;
    const attempt = await readOnce(url, lastEventId, started);
    result.attempts.push(attempt);
    result.events.push(...attempt.events.filter((event) => event.data !== '[DONE]'));
    const done = attempt.events.at(-1)?.data === '[DONE]';
    if (done || attempt.status === 204 || (attempt.status >= 400 && attempt.status < 500)) break;
    await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
  }
  return result;
}

async function readOnce(
  url: string,
  lastEventId: string | undefined,
  started: number,
): Promise<ReadAttempt> {
  const attempt: ReadAttempt = { status: 0, lastEventId, events: [], raw: '', cleanEnd: false };
  const parser = createParser({
    onEvent: (message) =>
      attempt.events.push({
        id: message.id,
        event: message.event,
        data: message.data,
        at: performance.now() - started,
      }),
  });
  try {
    const response = await fetch(url, {
      headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    });
    attempt.status = response.status;
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      attempt.raw += text;
      parser.feed(text);
    }
    attempt.cleanEnd = true;
  } catch {
    // Cut or refused: what arrived so far is kept; the caller resumes after it.
  }
  return attempt;
}

/**
 * The event frames of an SSE body, in order: the `retry:` preamble, comments, `[DONE]` and any
 * incomplete trailing frame left out. Frames are separated by blank lines (data is JSON, so it
 * has no raw newline of its own).
 */
export function eventFrames(raw: string): string[] {
  const pieces = raw.split('\n\n');
  pieces.pop(); // after the last separator: empty, or a frame cut mid-way
  return pieces.filter((piece) => piece.startsWith('id: ')).map((piece) => `${piece}\n\n`);
}
