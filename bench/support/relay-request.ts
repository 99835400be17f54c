import { randomUUID } from 'node:crypto';
import type { StreamRequest } from './load-client';
import type { RunningRelay } from './relay-process';

/** Marks one answer token in each view's framing (docs/PROTOCOL.md §1, §7, §8, §9). */
const TOKEN_MARKS = {
  // `data: {"content":"w0 "}`; the agent's tool_result events carry a "content" too: see relays.ts.
  native: '"content":"',
  // `"delta":{"content":"w0 "}`; the first delta's `"content":""` is skipped as empty.
  openai: '"content":"',
  // `{"type":"text-delta","id":"text-1","delta":"w0 "}`
  ui: '"delta":"',
  // `<div hx-swap-oob="beforeend:#answer-…"><span>w0 </span></div>`
  htmx: '<span>',
} as const;

/**
 * The request that asks `relay` for a streamed answer to `prompt`, in the relay's protocol view,
 * with the mark its token frames start with. Ids are fresh per request (the AI SDK chat id, the
 * htmx form's requestId), so many streams can run at once.
 */
export function streamRequest(relay: RunningRelay, prompt: string): StreamRequest {
  const { spec, url: base } = relay;
  const view = spec.view ?? 'native';
  const extras = spec.bodyExtras ?? {};
  const tokenMark = spec.tokenMark ?? TOKEN_MARKS[view];
  switch (view) {
    case 'openai':
      return {
        url: `${base}/v1/chat/completions`,
        body: {
          model: 'gpt-fake',
          stream: true,
          messages: [{ role: 'user', content: prompt }],
          ...extras,
        },
        tokenMark,
      };
    case 'ui':
      return {
        url: `${base}/api/ui/chat`,
        body: {
          id: `bench-${randomUUID()}`,
          messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: prompt }] }],
          trigger: 'submit-message',
          ...extras,
        },
        tokenMark,
      };
    case 'htmx': {
      const form = new URLSearchParams({ query: prompt, requestId: `bench-${randomUUID()}` });
      for (const [name, value] of Object.entries(extras)) form.set(name, String(value));
      return {
        url: `${base}/htmx/chat`,
        rawBody: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        tokenMark,
      };
    }
    case 'native':
      if (spec.method === 'GET') {
        return {
          url: `${base}/api/chat/stream?query=${encodeURIComponent(prompt)}`,
          method: 'GET',
          tokenMark,
        };
      }
      return { url: `${base}/api/chat/stream`, body: { query: prompt, ...extras }, tokenMark };
  }
}
