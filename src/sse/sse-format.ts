import type { ChatEvent } from '../chat/chat-event';

/** Sent first: how long an EventSource waits before reconnecting. */
export const SSE_PREAMBLE = 'retry: 2000\n\n';
/** The very last line of every stream, for clients that only read data lines. */
export const SSE_DONE = 'data: [DONE]\n\n';
/** Keeps proxies and clients from timing out an idle stream. */
export const SSE_PING = ': ping\n\n';

/**
 * The one place SSE text is made. The data line is JSON, which escapes CR and LF, so no content
 * (e.g. "\n\ndata: x") can end the line early and inject an event of its own. Lone UTF-16
 * surrogates are escaped by JSON.stringify as well, so the output is always valid UTF-8.
 */
export function formatSseEvent(event: ChatEvent): string {
  const name = event.type === 'token' ? '' : `event: ${event.type}\n`;
  return `id: ${event.id}\n${name}data: ${JSON.stringify(event.data)}\n\n`;
}
