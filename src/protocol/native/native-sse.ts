import type { StoredEvent } from '../stored-event';

/** Sent first: how long an EventSource waits before reconnecting. */
export const SSE_PREAMBLE = 'retry: 2000\n\n';
/** The very last line of every stream, for clients that only read data lines. */
export const SSE_DONE = 'data: [DONE]\n\n';
/** Keeps proxies and clients from timing out an idle stream. */
export const SSE_PING = ': ping\n\n';

/**
 * The service's own SSE frame of an event: `id`, the event name for everything but tokens,
 * and the data as one JSON line. JSON escapes CR and LF, so no content (e.g. "\n\ndata: x") can
 * end the line early and inject an event of its own; lone UTF-16 surrogates are escaped too, so
 * the output is always valid UTF-8.
 */
export function formatNativeFrame(event: StoredEvent): string {
  const name = event.type === 'token' ? '' : `event: ${event.type}\n`;
  return `id: ${event.id}\n${name}data: ${event.data}\n\n`;
}
