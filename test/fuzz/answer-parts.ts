import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { FuzzAnswer } from './send-fuzz-request';

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isEventStream(answer: FuzzAnswer): boolean {
  return /^text\/event-stream/.test(answer.headers['content-type'] ?? '');
}

export function isJsonAnswer(answer: FuzzAnswer): boolean {
  return /^application\/json/.test(answer.headers['content-type'] ?? '');
}

/** The SSE events of a whole answer, parsed as a client's parser would. */
export function sseEventsOf(answer: FuzzAnswer): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (event) => events.push(event) }).feed(answer.body);
  return events;
}

/** The end of a body, for failure messages. */
export function tail(answer: FuzzAnswer): string {
  return `...${answer.body.slice(-300)}`;
}
