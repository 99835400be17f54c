import type { Server } from 'node:http';

/** Timeouts of the HTTP server, the same in `main.ts` and in the tests. */
export function applyHttpServerSettings(server: Server): void {
  // Longer than nginx's upstream keepalive (60 s), or reused connections race and 502.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
