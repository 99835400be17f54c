import type { StreamResult } from './sse-client';

/** One event as a user compares them: id, name (`message` for tokens) and parsed data. */
export interface TranscriptEntry {
  id: number;
  event: string;
  data: unknown;
}

/** Every event with an id, in order, with its JSON data parsed (the `[DONE]` line has no id). */
export function transcript(result: StreamResult): TranscriptEntry[] {
  return result.events
    .filter((event) => event.id !== undefined && event.id !== '')
    .map((event) => ({
      id: Number(event.id),
      event: event.event ?? 'message',
      data: JSON.parse(event.data) as unknown,
    }));
}

/** The names of the events, in order (`message` for tokens). */
export function eventNames(result: StreamResult): string[] {
  return transcript(result).map((entry) => entry.event);
}

/** The first event named `name`, with when it arrived (ms since the request was sent). */
export function firstEvent(
  result: StreamResult,
  name: string,
): { id: number; data: unknown; at: number } {
  const event = result.events.find((candidate) => (candidate.event ?? 'message') === name);
  if (!event) throw new Error(`no "${name}" event in:\n${result.raw}`);
  return { id: Number(event.id), data: JSON.parse(event.data) as unknown, at: event.at };
}

/** The ids 0..n-1 with no gap, for comparing with what arrived. */
export function contiguousIds(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}
