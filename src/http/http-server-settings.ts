import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config';

/** Set on `http.Server` by Node and read when it starts listening; missing from @types/node. */
type ServerWithCheckingInterval = Server & { connectionsCheckingInterval: number };

/**
 * Timeouts of the HTTP server, the same in `main.ts` and in the tests. Call before `listen`.
 *
 * - `headersTimeout` and `requestTimeout` run from a request's first byte (a fresh connection:
 *   from accept) until its headers, resp. its whole body, have arrived; then Node answers 408 and
 *   closes. Neither bounds the response, so an SSE stream may run for hours.
 * - Since Node 18 neither counts the idle time of a kept-alive connection, so the old advice
 *   "headersTimeout above keepAliveTimeout" (node #27363, Node 10-12) no longer applies; what
 *   Node requires now is headersTimeout <= requestTimeout (checked in `loadConfig`).
 * - `keepAliveTimeout` outlasts nginx's upstream keepalive (60 s), or nginx reuses a connection
 *   the app is closing and the client gets a 502. Node 24 waits a further
 *   `keepAliveTimeoutBuffer` (1 s) before closing.
 */
export function applyHttpServerSettings(server: Server, settings: AppConfig['http']): void {
  server.headersTimeout = settings.headersTimeoutMs;
  server.requestTimeout = settings.requestTimeoutMs;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  // Both timeouts are enforced by a sweep every `connectionsCheckingInterval` (default 30 s,
  // which would let a 15 s headers timeout run to 45 s). The sweep visits only connections
  // still receiving a request, not open streams, so a 1 s period is cheap.
  const shortest = Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs);
  (server as ServerWithCheckingInterval).connectionsCheckingInterval = Math.max(
    50,
    Math.min(1_000, Math.floor(shortest / 10)),
  );
}
