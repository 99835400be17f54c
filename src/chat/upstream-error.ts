import type { ErrorData } from '../protocol/chat-event';

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = (error as { status: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps whatever the provider client threw to the public error event. Messages are fixed text:
 * the upstream's own message may echo keys, prompts or its raw body, so it is never forwarded.
 */
export function toUpstreamErrorData(error: unknown): ErrorData {
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return {
      code: 'upstream_auth',
      message: 'The model provider rejected our credentials.',
      retryable: false,
    };
  }
  if (status === 429) {
    return {
      code: 'upstream_rate_limited',
      message: 'The model provider is rate limiting requests; try again shortly.',
      retryable: true,
    };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      code: 'upstream_error',
      message: `The model provider refused the request (HTTP ${status}).`,
      retryable: false,
    };
  }
  if (status !== undefined) {
    return {
      code: 'upstream_error',
      message: `The model provider failed (HTTP ${status}).`,
      retryable: true,
    };
  }
  if (error instanceof SyntaxError) {
    return {
      code: 'upstream_bad_response',
      message: 'The model provider sent a response we could not read.',
      retryable: true,
    };
  }
  return {
    code: 'upstream_error',
    message: 'The connection to the model provider failed.',
    retryable: true,
  };
}
