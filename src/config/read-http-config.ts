import type { AppConfig } from './app-config';
import { ConfigError } from './config-error';
import { type Env, readInt } from './env-readers';

/**
 * Timeouts of the HTTP server. Configurable because the right keep-alive depends on the proxy in
 * front (nginx keeps upstream connections 60 s, Google Cloud's load balancer 600 s: the app must
 * outlast it), and so the tests can watch each timeout fire in well under a second.
 */
export function readHttpConfig(env: Env): AppConfig['http'] {
  const requestTimeoutMs = readInt(env, 'HTTP_REQUEST_TIMEOUT_MS', {
    fallback: 30_000,
    min: 100,
    max: 3_600_000,
  });
  const headersTimeoutMs = readInt(env, 'HTTP_HEADERS_TIMEOUT_MS', {
    fallback: 15_000,
    min: 100,
    max: 3_600_000,
  });
  // Node checks both against the start of the request and, when headers > request, silently
  // swaps them (node_http_parser.cc), which would stretch the body allowance; refuse it instead.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      'HTTP_HEADERS_TIMEOUT_MS',
      `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs} ms), got ${headersTimeoutMs}`,
    );
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    // Whole seconds: Node advertises it as `Keep-Alive: timeout=<s>`, rounded down.
    keepAliveTimeoutMs: readInt(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', {
      fallback: 65_000,
      min: 1_000,
      max: 3_600_000,
    }),
  };
}
