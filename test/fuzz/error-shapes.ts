import { isJsonAnswer, parseJson } from './answer-parts';
import type { FuzzCase } from './fuzz-case';
import type { FuzzAnswer } from './send-fuzz-request';

/** A 4xx in Nest's shape: `{"statusCode": <status>, "message": "..." | [...], "error": "..."}`. */
function nestErrorProblem(answer: FuzzAnswer): string | undefined {
  const body = parseJson(answer.body) as Record<string, unknown> | undefined;
  const message = body?.message;
  const messageOk =
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((item) => typeof item === 'string'));
  if (body?.statusCode !== answer.status || typeof body.error !== 'string' || !messageOk) {
    return `body is not in Nest's error shape: ${answer.body.slice(0, 300)}`;
  }
  return undefined;
}

const OPENAI_ERROR_KEYS = ['code', 'message', 'param', 'type'].join();

/** The `type` OpenAI gives a 4xx: what its clients and their users read. */
function openAIErrorType(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 429) return 'rate_limit_exceeded';
  return 'invalid_request_error';
}

/** A 4xx in OpenAI's shape, exactly `{"error": {"message", "type", "param", "code"}}`. */
function openAIErrorProblem(answer: FuzzAnswer): string | undefined {
  const body = parseJson(answer.body) as { error?: Record<string, unknown> } | undefined;
  const error = body?.error;
  const shapeOk =
    body !== undefined &&
    Object.keys(body).join() === 'error' &&
    typeof error === 'object' &&
    error !== null &&
    Object.keys(error).sort().join() === OPENAI_ERROR_KEYS &&
    typeof error.message === 'string' &&
    error.message !== '' &&
    error.type === openAIErrorType(answer.status) &&
    (error.param === null || typeof error.param === 'string') &&
    (error.code === null || typeof error.code === 'string');
  if (!shapeOk) return `body is not in OpenAI's error shape: ${answer.body.slice(0, 300)}`;
  // The official clients retry a 409 unless told that a retry meets the same taken id.
  if (answer.status === 409 && answer.headers['x-should-retry'] !== 'false') {
    return '409 without x-should-retry: false';
  }
  return undefined;
}

/**
 * What a 4xx must look like on the case's route: JSON in Nest's shape (native and AI SDK
 * routes) or OpenAI's (`/v1`); htmx forms may answer any 4xx. HEAD on a stream route is always
 * a bodiless 405 with `Allow`.
 */
export function errorShapeProblem(fuzzCase: FuzzCase, answer: FuzzAnswer): string | undefined {
  const view = fuzzCase.view ?? 'native';
  if (view !== 'htmx' && !isJsonAnswer(answer)) {
    return `content-type ${answer.headers['content-type']} is not JSON`;
  }
  if (fuzzCase.method === 'HEAD') {
    // Every HEAD generated targets a stream route: refused before auth, routing or parsing.
    return answer.status === 405 && answer.headers.allow
      ? undefined
      : 'HEAD not refused with 405 + Allow';
  }
  if (view === 'htmx') return undefined;
  return view === 'openai' ? openAIErrorProblem(answer) : nestErrorProblem(answer);
}
