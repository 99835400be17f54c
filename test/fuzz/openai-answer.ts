import { isEventStream, isJsonAnswer, parseJson, sseEventsOf, tail } from './answer-parts';
import type { FuzzAnswer } from './send-fuzz-request';

interface ChunkLike {
  id?: unknown;
  object?: unknown;
  error?: unknown;
  choices?: { delta?: { role?: unknown }; finish_reason?: unknown }[];
}

/**
 * `stream: true` as the official clients read it: no `id:`/`event:` lines, JSON chunks of one
 * completion, the role first, a finish reason (or an error frame), then `data: [DONE]`.
 */
function openAIStreamProblem(answer: FuzzAnswer): string | undefined {
  if (/^(id|event):/m.test(answer.body)) return `id:/event: lines on /v1: ${tail(answer)}`;
  const data = sseEventsOf(answer).map((event) => event.data);
  if (data.at(-1) !== '[DONE]') return `stream does not end with [DONE]: ${tail(answer)}`;
  const chunks = data.slice(0, -1).map((text) => parseJson(text) as ChunkLike | undefined);
  if (chunks.some((chunk) => typeof chunk !== 'object' || chunk === null)) {
    return `a data line is not a JSON object: ${tail(answer)}`;
  }
  const completions = (chunks as ChunkLike[]).filter((chunk) => chunk.error === undefined);
  const first = completions[0];
  if (first?.choices?.[0]?.delta?.role !== 'assistant')
    return `no role chunk first: ${tail(answer)}`;
  if (
    completions.some((chunk) => chunk.object !== 'chat.completion.chunk' || chunk.id !== first.id)
  ) {
    return `chunks of more than one chat.completion.chunk: ${tail(answer)}`;
  }
  const finished = completions.some(
    (chunk) => typeof chunk.choices?.[0]?.finish_reason === 'string',
  );
  const failed = completions.length < chunks.length;
  return finished || failed ? undefined : `no finish_reason and no error: ${tail(answer)}`;
}

/** `stream: false`: one `chat.completion` whose message is the assistant's text. */
function openAICompletionProblem(answer: FuzzAnswer): string | undefined {
  const body = parseJson(answer.body) as
    | { object?: unknown; choices?: { message?: { role?: unknown; content?: unknown } }[] }
    | undefined;
  const message = body?.choices?.[0]?.message;
  return body?.object === 'chat.completion' &&
    message?.role === 'assistant' &&
    typeof message.content === 'string'
    ? undefined
    : `not a chat.completion: ${answer.body.slice(0, 300)}`;
}

/** A 200 on `/v1/chat/completions`: a chunk stream or a whole completion. */
export function openAIAnswerProblem(answer: FuzzAnswer): string | undefined {
  if (isEventStream(answer)) return openAIStreamProblem(answer);
  if (isJsonAnswer(answer)) return openAICompletionProblem(answer);
  return `200 with content-type ${answer.headers['content-type']}`;
}
