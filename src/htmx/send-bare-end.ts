import type { Response } from 'express';
import { REQUEST_ID_PATTERN } from '../chat/request-id';

/**
 * An SSE response with only an `end` event, for an htmx client that reconnects to a stream that
 * no longer exists: htmx's SSE extensions reconnect after any other answer, even a 204.
 */
export function sendBareEnd(res: Response, requestId: string): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    // Only an id that could name a stream: a path segment may hold what no header can carry.
    ...(REQUEST_ID_PATTERN.test(requestId) ? { 'X-Request-Id': requestId } : {}),
  });
  res.end('event: end\ndata: gone\n\n');
}
