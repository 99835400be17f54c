import { randomUUID } from 'node:crypto';
import type { StreamResult } from './sse-client';
import { formBody, jsonBody, readTimedSse } from './timed-sse-reader';

/** One streaming route of one wire view, as a client of that view uses it. */
export interface ViewStreamRoute {
  name: string;
  /** Starts a generation of `prompt` through `baseUrl` and reads this route's stream to its end. */
  read(baseUrl: string, prompt: string): Promise<StreamResult>;
  /** Whether the stream ends the way this view ends a finished answer (reason `stop`). */
  endedWell(result: StreamResult): boolean;
}

const dataLines = (result: StreamResult): string[] => result.events.map((event) => event.data);

function parsed(data: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Native SSE: `event: end` with reason stop, then `data: [DONE]`. */
function nativeEndedWell(result: StreamResult): boolean {
  const [end, done] = result.events.slice(-2);
  return end?.event === 'end' && parsed(end.data)?.reason === 'stop' && done?.data === '[DONE]';
}

/** htmx: the last event is `end` with the bare reason as data, which `sse-close` closes on. */
function htmxEndedWell(result: StreamResult): boolean {
  const last = result.events.at(-1);
  return last?.event === 'end' && last.data === 'stop';
}

/** OpenAI: no `id:`/`event:` lines, a `stop` finish chunk, then `data: [DONE]`. */
function openAIEndedWell(result: StreamResult): boolean {
  const finish = dataLines(result)
    .map(parsed)
    .find((chunk) => {
      const choices = chunk?.choices as { finish_reason?: unknown }[] | undefined;
      return choices?.[0]?.finish_reason === 'stop';
    });
  return (
    !/^(id|event):/m.test(result.raw) &&
    finish !== undefined &&
    dataLines(result).at(-1) === '[DONE]'
  );
}

/** AI SDK UI message stream: `finish` with reason stop, then `data: [DONE]`. */
function uiEndedWell(result: StreamResult): boolean {
  const [finish, done] = dataLines(result).slice(-2);
  const chunk = finish === undefined ? undefined : parsed(finish);
  return chunk?.type === 'finish' && chunk.finishReason === 'stop' && done === '[DONE]';
}

async function attachAfterDetachedStart(baseUrl: string, prompt: string): Promise<StreamResult> {
  const accepted = await fetch(`${baseUrl}/api/chat/streams`, jsonBody({ query: prompt }));
  if (accepted.status !== 202) throw new Error(`POST /api/chat/streams: ${accepted.status}`);
  const { streamUrl } = (await accepted.json()) as { streamUrl: string };
  return readTimedSse(`${baseUrl}${streamUrl}`, { method: 'GET' });
}

async function followAfterHtmx2Start(baseUrl: string, prompt: string): Promise<StreamResult> {
  const requestId = randomUUID();
  const turn = await fetch(`${baseUrl}/htmx/v2/chat`, formBody({ query: prompt, requestId }));
  // The turn's HTML (201: Nest's default for a POST), whose answer element follows the stream.
  if (!turn.ok) throw new Error(`POST /htmx/v2/chat: ${turn.status}`);
  await turn.text();
  return readTimedSse(`${baseUrl}/htmx/streams/${requestId}`, { method: 'GET' });
}

/** Every streaming route of every view (CONTRACT sections 1-3 and 7). */
export const VIEW_STREAM_ROUTES: readonly ViewStreamRoute[] = [
  {
    name: 'POST /api/chat/stream',
    read: (baseUrl, prompt) =>
      readTimedSse(`${baseUrl}/api/chat/stream`, jsonBody({ query: prompt })),
    endedWell: nativeEndedWell,
  },
  {
    name: 'GET /api/chat/stream?query=',
    read: (baseUrl, prompt) =>
      readTimedSse(`${baseUrl}/api/chat/stream?query=${encodeURIComponent(prompt)}`, {
        method: 'GET',
      }),
    endedWell: nativeEndedWell,
  },
  {
    name: 'GET /api/chat/streams/{id} (attach)',
    read: attachAfterDetachedStart,
    endedWell: nativeEndedWell,
  },
  {
    name: 'POST /v1/chat/completions (stream: true)',
    read: (baseUrl, prompt) =>
      readTimedSse(
        `${baseUrl}/v1/chat/completions`,
        jsonBody({
          model: 'gpt-fake',
          messages: [{ role: 'user', content: prompt }],
          stream: true,
        }),
      ),
    endedWell: openAIEndedWell,
  },
  {
    name: 'POST /api/ui/chat',
    read: (baseUrl, prompt) =>
      readTimedSse(
        `${baseUrl}/api/ui/chat`,
        jsonBody({
          id: `chat-${randomUUID()}`,
          messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: prompt }] }],
          trigger: 'submit-message',
        }),
      ),
    endedWell: uiEndedWell,
  },
  {
    name: 'POST /htmx/chat',
    read: (baseUrl, prompt) =>
      readTimedSse(`${baseUrl}/htmx/chat`, formBody({ query: prompt, requestId: randomUUID() })),
    endedWell: htmxEndedWell,
  },
  {
    name: 'GET /htmx/streams/{id}',
    read: followAfterHtmx2Start,
    endedWell: htmxEndedWell,
  },
];

/**
 * When each numbered token (`tok<n>`) first reached the client, whatever view wrapped it (a JSON
 * delta, an escaped HTML fragment): ms since the request, by token number.
 */
export function tokenArrivals(result: StreamResult): Map<number, number> {
  const arrivals = new Map<number, number>();
  for (const event of result.events) {
    for (const match of event.data.matchAll(/\btok(\d+)\b/g)) {
      const index = Number(match[1]);
      if (!arrivals.has(index)) arrivals.set(index, event.at);
    }
  }
  return arrivals;
}
