import { isEventStream, isJsonAnswer, parseJson, sseEventsOf, tail } from './answer-parts';
import { errorShapeProblem } from './error-shapes';
import type { FuzzCase } from './fuzz-case';
import { htmxStreamProblem, isBareEnd } from './htmx-answer';
import { openAIAnswerProblem } from './openai-answer';
import type { FuzzAnswer } from './send-fuzz-request';
import { uiStreamProblem } from './ui-answer';

/** How an answer was classified; `problem` is set when it breaks the property. */
export interface Judgement {
  outcome: 'aborted' | 'refused' | 'stream' | 'accepted' | 'no-content' | 'server-error' | 'other';
  problem?: string;
}

/** SSE events of a body; a stream is well formed when it ends with `end` then `[DONE]`. */
export function streamProblem(answer: FuzzAnswer): string | undefined {
  if (!isEventStream(answer)) return `200 with content-type ${answer.headers['content-type']}`;
  const events = sseEventsOf(answer);
  if (events.at(-1)?.data !== '[DONE]' || events.at(-2)?.event !== 'end') {
    return `stream does not end with end + [DONE]: ${tail(answer)}`;
  }
  return undefined;
}

function nativeAnswer(answer: FuzzAnswer): Judgement {
  if (answer.status === 200) return { outcome: 'stream', problem: streamProblem(answer) };
  if (answer.status === 204) return { outcome: 'no-content' };
  if (answer.status === 202) {
    const body = parseJson(answer.body) as { streamUrl?: unknown } | undefined;
    return typeof body?.streamUrl === 'string'
      ? { outcome: 'accepted' }
      : { outcome: 'accepted', problem: `202 without streamUrl: ${answer.body}` };
  }
  return { outcome: 'other', problem: `unexpected ${answer.status}` };
}

function htmxAnswer(fuzzCase: FuzzCase, answer: FuzzAnswer): Judgement {
  if (answer.status === 204) return { outcome: 'no-content' };
  if (answer.status === 200 && isEventStream(answer)) {
    const problem = htmxStreamProblem(answer);
    return { outcome: !problem && isBareEnd(answer) ? 'no-content' : 'stream', problem };
  }
  const page = /^text\/html/.test(answer.headers['content-type'] ?? '');
  if (answer.status >= 200 && answer.status < 300 && page && fuzzCase.followPath) {
    return { outcome: 'accepted' };
  }
  return { outcome: 'other', problem: `unexpected ${answer.status}: ${answer.body.slice(0, 300)}` };
}

/** What a valid request on the case's view may get. */
function validAnswer(fuzzCase: FuzzCase, answer: FuzzAnswer): Judgement {
  switch (fuzzCase.view ?? 'native') {
    case 'native':
      return nativeAnswer(answer);
    case 'openai':
      return answer.status === 200
        ? { outcome: 'stream', problem: openAIAnswerProblem(answer) }
        : { outcome: 'other', problem: `unexpected ${answer.status}` };
    case 'ui':
      if (answer.status === 204) return { outcome: 'no-content' };
      return answer.status === 200
        ? { outcome: 'stream', problem: uiStreamProblem(answer) }
        : { outcome: 'other', problem: `unexpected ${answer.status}` };
    case 'htmx':
      return htmxAnswer(fuzzCase, answer);
  }
}

/**
 * The property for one answer: a 4xx in the shape of the route's view, never a 5xx; for input
 * that may be valid, also that view's well-formed stream (or answer), or "nothing to resume".
 */
export function judgeAnswer(fuzzCase: FuzzCase, answer: FuzzAnswer): Judgement {
  const { status } = answer;
  if (status === 0 && fuzzCase.abortAfterBytes !== undefined) return { outcome: 'aborted' };
  if (status >= 500)
    return { outcome: 'server-error', problem: `${status}: ${answer.body.slice(0, 300)}` };
  if (status >= 400 && status < 500) {
    const problem =
      fuzzCase.validity === 'valid'
        ? `valid input refused: ${answer.body.slice(0, 300)}`
        : errorShapeProblem(fuzzCase, answer);
    return { outcome: 'refused', problem };
  }
  if (fuzzCase.validity === 'invalid') {
    return {
      outcome: 'other',
      problem: `invalid input answered ${status}: ${answer.body.slice(0, 300)}`,
    };
  }
  return validAnswer(fuzzCase, answer);
}

/** Whether a 2xx JSON body names where its detached stream can be followed (native 202). */
export function streamUrlOf(answer: FuzzAnswer): string | undefined {
  if (!isJsonAnswer(answer)) return undefined;
  const url = (parseJson(answer.body) as { streamUrl?: unknown } | undefined)?.streamUrl;
  return typeof url === 'string' ? url : undefined;
}
