import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { FuzzCase } from './fuzz-case';
import type { FuzzAnswer } from './send-fuzz-request';

/** How an answer was classified; `problem` is set when it breaks the property. */
export interface Judgement {
  outcome: 'aborted' | 'refused' | 'stream' | 'accepted' | 'no-content' | 'server-error' | 'other';
  problem?: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A 4xx in Nest's shape: `{"statusCode": <status>, "message": "..." | [...], "error": "..."}`. */
function nestErrorProblem(fuzzCase: FuzzCase, answer: FuzzAnswer): string | undefined {
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) {
    return `content-type ${answer.headers['content-type']} is not JSON`;
  }
  if (fuzzCase.method === 'HEAD') {
    // Every HEAD generated targets a stream route: refused before auth, routing or parsing.
    return answer.status === 405 && answer.headers.allow
      ? undefined
      : 'HEAD not refused with 405 + Allow';
  }
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

/** SSE events of a body; a stream is well formed when it ends with `end` then `[DONE]`. */
export function streamProblem(answer: FuzzAnswer): string | undefined {
  if (!/^text\/event-stream/.test(answer.headers['content-type'] ?? '')) {
    return `200 with content-type ${answer.headers['content-type']}`;
  }
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(answer.body);
  const last = events.at(-1);
  const end = events.at(-2);
  if (last?.data !== '[DONE]' || end?.event !== 'end') {
    return `stream does not end with end + [DONE]: ...${answer.body.slice(-300)}`;
  }
  return undefined;
}

/**
 * The property for one answer: a 4xx in Nest's shape, never a 5xx; for input that may be valid,
 * also a well-formed stream, a 202 with a stream URL, or a 204 (nothing to resume).
 */
export function judgeAnswer(fuzzCase: FuzzCase, answer: FuzzAnswer): Judgement {
  const { status } = answer;
  if (status === 0 && fuzzCase.abortAfterBytes !== undefined) return { outcome: 'aborted' };
  if (status >= 500)
    return { outcome: 'server-error', problem: `${status}: ${answer.body.slice(0, 300)}` };
  if (status >= 400 && status < 500)
    return { outcome: 'refused', problem: nestErrorProblem(fuzzCase, answer) };
  if (fuzzCase.validity === 'invalid') {
    return {
      outcome: 'other',
      problem: `invalid input answered ${status}: ${answer.body.slice(0, 300)}`,
    };
  }
  if (status === 200) return { outcome: 'stream', problem: streamProblem(answer) };
  if (status === 204) return { outcome: 'no-content' };
  if (status === 202) {
    const body = parseJson(answer.body) as { streamUrl?: unknown } | undefined;
    return typeof body?.streamUrl === 'string'
      ? { outcome: 'accepted' }
      : { outcome: 'accepted', problem: `202 without streamUrl: ${answer.body}` };
  }
  return { outcome: 'other', problem: `unexpected ${status}` };
}
