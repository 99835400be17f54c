import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import type { ChatEvent } from '../chat-event';
import { toStoredEvent, type StoredEvent } from '../stored-event';
import { HtmxFragmentRenderer, type HtmxFragmentOptions } from './htmx-fragment-renderer';

const REQUEST_ID = 'req.1:a';
const ANSWER = 'answer-req_2e1_3aa';

function stored(events: Omit<ChatEvent, 'id'>[]): StoredEvent[] {
  return events.map((event, id) => toStoredEvent({ ...event, id } as ChatEvent));
}

const START: Omit<ChatEvent, 'id'> = {
  type: 'start',
  data: { requestId: REQUEST_ID, model: 'm', provider: 'p', createdAt: '2026-01-01T00:00:00.000Z' },
};
const token = (content: string): Omit<ChatEvent, 'id'> => ({ type: 'token', data: { content } });
const end = (reason: 'stop' | 'cancelled'): Omit<ChatEvent, 'id'> => ({
  type: 'end',
  data: { reason },
});

/** Everything the renderer writes for `events`, as one response would carry it. */
function renderAll(events: StoredEvent[], options: Partial<HtmxFragmentOptions> = {}): string {
  const renderer = new HtmxFragmentRenderer({ eventName: 'message', ...options });
  return (
    renderer.preamble() +
    events.map((event) => renderer.render(event)).join('') +
    renderer.epilogue()
  );
}

function parse(text: string): EventSourceMessage[] {
  const messages: EventSourceMessage[] = [];
  createParser({ onEvent: (message) => messages.push(message) }).feed(text);
  return messages;
}

describe('HtmxFragmentRenderer', () => {
  it('model text is only ever text: any token comes back unchanged from its escaped span', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (content) => {
        const [, tokenMessage] = parse(
          renderAll(stored([START, token(content)]), { question: 'q' }),
        );
        const match = /^<div hx-swap-oob="beforeend:#[^"]+"><span>([^<>]*)<\/span><\/div>$/.exec(
          tokenMessage.data,
        );
        expect(match).not.toBeNull();
        const text = (match?.[1] ?? '').replace(
          /&(amp|lt|gt|quot|#39);/g,
          (entity) =>
            ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" })[entity] ??
            entity,
        );
        // SSE joins data lines with LF: CR and CR LF come back as LF, as an HTML parser reads them.
        expect(text).toBe(content.replace(/\r\n?/g, '\n'));
      }),
    );
  });

  it('a multi-line fragment is one event with a data: line per line, never a bare line', () => {
    const text = renderAll(
      stored([START, token('a\nb\r\nc\rd\n\nevent: end\nid: 99'), end('stop')]),
      { question: 'q' },
    );
    for (const line of text.split('\n').filter((line) => line !== '')) {
      expect(line).toMatch(/^(retry: 2000|id: \d+|event: end|data: .*)$/);
    }
    const messages = parse(text);
    expect(messages.map((message) => message.event)).toEqual([
      undefined,
      undefined,
      undefined,
      'end',
    ]);
    expect(messages[1].data).toContain('<span>a\nb\nc\nd\n\nevent: end\nid: 99</span>');
  });

  it('escapes the question, tool names, arguments and results, data and error messages', () => {
    const evil = '<img src=x onerror="alert(1)">';
    const text = renderAll(
      stored([
        START,
        { type: 'reasoning', data: { content: evil } },
        { type: 'reasoning', data: { content: evil } },
        { type: 'tool_call', data: { toolCallId: 'c1', name: evil, args: { q: evil } } },
        {
          type: 'tool_result',
          data: { toolCallId: 'c1', name: evil, content: evil, isError: true },
        },
        { type: 'data', data: { name: evil, data: { html: evil } } },
        { type: 'error', data: { code: 'upstream_error', message: evil, retryable: true } },
        end('stop'),
      ]),
      { question: evil },
    );
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    // The second reasoning chunk joins the open block; the result goes into its call's block.
    expect(text).toContain(`<span hx-swap-oob="beforeend:#${ANSWER}-reasoning-1">`);
    expect(text).toContain(
      `<div hx-swap-oob="beforeend:#${ANSWER}-tool-2"><pre class="result error">`,
    );
  });

  it('htmx 2: fragments are named "fragment"; a replay from the start empties the answer first', () => {
    const events = stored([START, token('hi'), end('stop')]);
    const messages = parse(renderAll(events, { eventName: 'fragment', resetAnswer: true }));
    expect(messages.map((message) => message.event)).toEqual([
      'fragment',
      'fragment',
      'fragment',
      'end',
    ]);
    expect(messages[0].data).toBe(`<div id="${ANSWER}" hx-swap-oob="innerHTML"></div>`);
    const resumed = parse(renderAll(events, { eventName: 'fragment' }));
    expect(resumed[0].data).toContain('<span>hi</span>');
  });

  it('ends with the end fragment (note, Stop removed, next request id) and then event: end', () => {
    const messages = parse(
      renderAll(stored([START, token('x'), end('cancelled')]), {
        question: 'q',
        nextRequestId: 'next-1',
      }),
    );
    expect(messages.at(-2)?.data).toBe(
      `<div hx-swap-oob="beforeend:#${ANSWER}"><p class="note">Stopped.</p></div>` +
        `<span id="stop-req_2e1_3aa" hx-swap-oob="true"></span>` +
        '<input type="hidden" name="requestId" id="request-id" value="next-1" hx-swap-oob="true">',
    );
    expect(messages.at(-1)).toMatchObject({ event: 'end', data: 'cancelled' });
  });

  it.each([2, 3, 10])(
    'a client whose Last-Event-ID is %i (the end is id 2) gets a bare event: end, nothing repeated',
    (lastEventId) => {
      const events = stored([START, token('x'), end('cancelled')]);
      const renderer = new HtmxFragmentRenderer({
        eventName: 'message',
        question: 'q',
        lastEventId,
      });
      // Whether the writer skips the end or writes it, the response closes with the epilogue.
      expect(events.map((event) => renderer.render(event)).at(-1)).toBe('');
      expect(renderer.epilogue()).toBe('event: end\ndata: cancelled\n\n');
    },
  );

  it('a client that has not seen the end gets it in full, and no second end', () => {
    const events = stored([START, token('x'), end('stop')]);
    const renderer = new HtmxFragmentRenderer({ eventName: 'message', lastEventId: 1 });
    expect(events.map((event) => renderer.render(event)).at(-1)).toMatch(
      /^id: 2\ndata: .*\n\nevent: end\ndata: stop\n\n$/,
    );
    expect(renderer.epilogue()).toBe('');
  });
});
