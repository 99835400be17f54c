import { isEventStream, parseJson, sseEventsOf, tail } from './answer-parts';
import type { FuzzAnswer } from './send-fuzz-request';

/** The part a `*-delta` / `*-end` chunk belongs to, which its `*-start` must have opened. */
function partKind(type: string): { kind: string; step: 'start' | 'delta' | 'end' } | undefined {
  const match = /^(text|reasoning)-(start|delta|end)$/.exec(type);
  return match ? { kind: match[1], step: match[2] as 'start' | 'delta' | 'end' } : undefined;
}

/**
 * A UI message stream `useChat` accepts: the header, JSON chunks with a `type`, `start` first, no
 * delta or end of a part that was not started, `finish` or `abort` last, then `data: [DONE]`.
 */
export function uiStreamProblem(answer: FuzzAnswer): string | undefined {
  if (!isEventStream(answer)) return `200 with content-type ${answer.headers['content-type']}`;
  if (answer.headers['x-vercel-ai-ui-message-stream'] !== 'v1') {
    return 'no x-vercel-ai-ui-message-stream: v1 header';
  }
  const data = sseEventsOf(answer).map((event) => event.data);
  if (data.at(-1) !== '[DONE]') return `stream does not end with [DONE]: ${tail(answer)}`;
  const types = data.slice(0, -1).map((text) => {
    const type = (parseJson(text) as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? type : undefined;
  });
  if (types.some((type) => type === undefined)) return `a chunk without a type: ${tail(answer)}`;
  if (types[0] !== 'start') return `first chunk is ${types[0]}, not start`;
  if (!['finish', 'abort'].includes(types.at(-1) ?? '')) {
    return `last chunk is ${types.at(-1)}, not finish or abort`;
  }
  const open = new Map<string, number>();
  for (const type of types as string[]) {
    const part = partKind(type);
    if (!part) continue;
    const count = open.get(part.kind) ?? 0;
    if (part.step !== 'start' && count === 0) return `${type} outside its part: ${tail(answer)}`;
    open.set(
      part.kind,
      part.step === 'start' ? count + 1 : part.step === 'end' ? count - 1 : count,
    );
  }
  return undefined;
}
