import { isEventStream, sseEventsOf, tail } from './answer-parts';
import type { FuzzAnswer } from './send-fuzz-request';

/** Whether an htmx stream is the bare `end` sent to a client whose stream does not exist. */
export function isBareEnd(answer: FuzzAnswer): boolean {
  const events = sseEventsOf(answer);
  return events.length === 1 && events[0].event === 'end';
}

/**
 * An htmx fragment stream: `end` last (what `hx-sse:close` / `sse-close` close on; anything
 * else makes the extension reconnect), every fragment before it with an id and one event name.
 */
export function htmxStreamProblem(answer: FuzzAnswer): string | undefined {
  if (!isEventStream(answer)) return `200 with content-type ${answer.headers['content-type']}`;
  const events = sseEventsOf(answer);
  if (events.at(-1)?.event !== 'end') return `stream does not end with end: ${tail(answer)}`;
  const fragments = events.slice(0, -1);
  const names = new Set(fragments.map((event) => event.event ?? 'message'));
  if (names.size > 1 || fragments.some((event) => event.id === undefined)) {
    return `fragments with mixed names or without ids: ${tail(answer)}`;
  }
  return undefined;
}
