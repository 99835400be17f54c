import { createParser } from 'eventsource-parser';
import { asSchema, uiMessageChunkSchema } from 'ai';

/**
 * The fields each UI message chunk type may carry, as the AI SDK documents them. Version 5 of the
 * SDK validated chunks with strict objects (an extra field failed the client); v6 is lenient,
 * so this list is what keeps the service compatible with both. Required fields first.
 */
const CHUNK_FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  start: { required: [], optional: ['messageId', 'messageMetadata'] },
  'start-step': { required: [], optional: [] },
  'finish-step': { required: [], optional: [] },
  finish: { required: [], optional: ['finishReason', 'messageMetadata'] },
  abort: { required: [], optional: ['reason'] },
  error: { required: ['errorText'], optional: [] },
  'text-start': { required: ['id'], optional: ['providerMetadata'] },
  'text-delta': { required: ['id', 'delta'], optional: ['providerMetadata'] },
  'text-end': { required: ['id'], optional: ['providerMetadata'] },
  'reasoning-start': { required: ['id'], optional: ['providerMetadata'] },
  'reasoning-delta': { required: ['id', 'delta'], optional: ['providerMetadata'] },
  'reasoning-end': { required: ['id'], optional: ['providerMetadata'] },
  'tool-input-available': {
    required: ['toolCallId', 'toolName', 'input'],
    optional: ['providerExecuted', 'providerMetadata', 'dynamic', 'title'],
  },
  'tool-output-available': {
    required: ['toolCallId', 'output'],
    optional: ['providerExecuted', 'providerMetadata', 'dynamic', 'preliminary'],
  },
  'tool-output-error': {
    required: ['toolCallId', 'errorText'],
    optional: ['providerExecuted', 'providerMetadata', 'dynamic'],
  },
  'message-metadata': { required: ['messageMetadata'], optional: [] },
};
const DATA_FIELDS = { required: ['data'], optional: ['id', 'transient'] };

/** What is wrong with one chunk's fields (empty when nothing is). */
export function fieldProblems(chunk: Record<string, unknown>): string[] {
  const type = String(chunk.type);
  const fields = type.startsWith('data-') ? DATA_FIELDS : CHUNK_FIELDS[type];
  if (!fields) return [`unknown chunk type ${type}`];
  const keys = Object.keys(chunk).filter((key) => key !== 'type');
  const allowed = new Set([...fields.required, ...fields.optional]);
  return [
    ...fields.required.filter((key) => !keys.includes(key)).map((key) => `${type}: no ${key}`),
    ...keys.filter((key) => !allowed.has(key)).map((key) => `${type}: extra field ${key}`),
  ];
}

/** Every SSE event of a raw UI message stream body, as the SDK's parser splits it. */
export function sseEvents(raw: string): { id?: string; data: string }[] {
  const events: { id?: string; data: string }[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(raw);
  return events;
}

/**
 * What is wrong with a whole UI message stream body: each chunk against the SDK's own
 * `uiMessageChunkSchema` and the documented fields, every chunk carrying one of our event ids
 * (never going back), and `[DONE]` as the very last event. Empty when nothing is.
 */
export async function streamProblems(raw: string): Promise<string[]> {
  const validate = asSchema(uiMessageChunkSchema).validate;
  if (!validate) throw new Error('the SDK chunk schema has no validate()');
  const problems: string[] = [];
  const events = sseEvents(raw);
  let lastId = -1;
  for (const [index, event] of events.entries()) {
    if (event.data === '[DONE]') {
      if (index !== events.length - 1)
        problems.push(`[DONE] is event ${index} of ${events.length}`);
      continue;
    }
    const chunk = JSON.parse(event.data) as Record<string, unknown>;
    const validated = await validate(chunk);
    if (!validated.success) {
      problems.push(`${event.data}: ${validated.error.message}`);
    }
    problems.push(...fieldProblems(chunk));
    const id = Number(event.id);
    if (event.id === undefined || !Number.isInteger(id) || id < lastId) {
      problems.push(`${event.data}: id ${String(event.id)} after ${lastId}`);
    }
    lastId = id;
  }
  if (events.at(-1)?.data !== '[DONE]') problems.push('the stream does not end with [DONE]');
  return problems;
}
