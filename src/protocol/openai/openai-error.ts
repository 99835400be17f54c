import type { ErrorData } from '../chat-event';

/** OpenAI's error object, as both official clients parse it (`{"error": {...}}`). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The error `type` OpenAI would give for an HTTP status. */
export function openAIErrorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 401 || status === 403) return 'authentication_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A stream `error` event in OpenAI's shape, for the `data: {"error": …}` frame. */
export function openAIErrorOfEvent(error: ErrorData): OpenAIErrorBody {
  const type = error.code === 'upstream_rate_limited' ? 'rate_limit_exceeded' : 'server_error';
  return { error: { message: error.message, type, param: null, code: error.code } };
}

/** The HTTP status a non-streamed completion answers with when its generation failed. */
export function statusOfStreamError(error: ErrorData): number {
  switch (error.code) {
    case 'upstream_rate_limited':
      return 429;
    case 'upstream_timeout':
      return 504;
    case 'shutting_down':
      return 503;
    case 'internal_error':
      return 500;
    default:
      return 502;
  }
}
