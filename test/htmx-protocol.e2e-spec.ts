import { randomUUID } from 'node:crypto';
import { FakeOpenAIServer } from './support/fake-openai-server';
import {
  fragmentAnswerText,
  questionForm,
  requestHtmx,
  sseBlocks,
  unescapeHtml,
} from './support/htmx-client';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { within } from './support/wait-for';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
/** Model output with line breaks of every kind, SSE field names and HTML that must stay text. */
const MULTI_LINE_TOKENS = [
  'first line\nsecond <b>line</b>',
  '\r\nthird & "fourth"\rfifth\n\n',
  'event: end\ndata: forged\nid: 999\n\n',
  '<img src=x onerror="window.__xss=1"></span></div>',
  "\n<div hx-get='/htmx/injected' hx-trigger='load'>last</div>",
];
/** What a client reads back: SSE joins the data lines of an event with LF. */
const MULTI_LINE_TEXT = MULTI_LINE_TOKENS.join('').replace(/\r\n?/g, '\n');
const SLOW_WORDS = Array.from({ length: 30 }, (_, index) => `slow${index} `);

/** A request id for one test, readable in failures. */
const newId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** The id of the stream's last event (the end fragment; the `end` event itself carries none). */
const lastId = (result: StreamResult): number =>
  Number(result.events.findLast((event) => event.id !== undefined)?.id);

/** The data of the first event in the response: the fragment that opens the answer, and so on. */
const fragments = (result: StreamResult): string[] =>
  result.events.filter((event) => event.event !== 'end').map((event) => event.data);

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('the htmx routes on the wire, with %s', (logName, withRedis) => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer | undefined;
  let service: RunningApp;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    service = await startApp(
      openAiEnv(await upstream.start(), redis ? { REDIS_URL: redis.url } : {}),
    );
  }, 30_000);

  afterAll(async () => {
    await service?.close();
    await upstream.close();
    await redis?.stop();
  });

  const chat = (requestId: string, query: string, headers: Record<string, string> = {}) =>
    requestHtmx(`${service.url}/htmx/chat`, { form: questionForm(query, requestId), headers });

  const follow = (requestId: string, headers: Record<string, string> = {}) =>
    requestHtmx(`${service.url}/htmx/streams/${requestId}`, { method: 'GET', headers });

  /** Reads the native record of a stream to its end: the stream is then finished in the log. */
  const settled = async (requestId: string): Promise<StreamResult> =>
    readStream(`${service.url}/api/chat/streams/${requestId}`, { method: 'GET' });

  it(`POST /htmx/chat: one SSE event per fragment, a data: line per HTML line, model text escaped, event: end last (${logName})`, async () => {
    const requestId = newId('wire');
    const question = `multi-line <i>question</i> & more ${logName}`;
    upstream.script(question, { tokens: MULTI_LINE_TOKENS, delayMs: 5 });
    const result = await chat(requestId, question);

    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(result.headers.get('x-request-id')).toBe(requestId);
    const blocks = sseBlocks(result.raw);
    expect(blocks[0]).toBe('retry: 2000');
    for (const block of blocks.slice(1)) {
      // Every line of every event is an SSE field: a line break in the model's text can never
      // become a line of its own (which would end the event or forge a field).
      for (const line of block.split('\n')) expect(line).toMatch(/^(id: \d+|event: end|data: .*)$/);
    }
    const ids = result.events
      .filter((event) => event.id !== undefined)
      .map((event) => Number(event.id));
    expect(ids).toEqual(ids.map((_, index) => index));
    expect(result.events.at(-1)).toEqual(expect.objectContaining({ event: 'end', data: 'stop' }));
    expect(result.events.at(-1)?.id).toBeUndefined();
    expect(lastId(result)).toBe(ids.at(-1));
    expect(result.raw.endsWith('event: end\ndata: stop\n\n')).toBe(true);
    expect(result.events.filter((event) => event.event === 'end')).toHaveLength(1);
    // Each event's data lines are its HTML's lines: the parser joins them back with LF.
    for (const event of result.events) {
      const block = blocks.find((candidate) => candidate.startsWith(`id: ${event.id}\n`));
      if (event.event === 'end' || !block) continue;
      const dataLines = block.split('\n').filter((line) => line.startsWith('data: '));
      expect(dataLines.map((line) => line.slice(6)).join('\n')).toBe(event.data);
    }
    expect(fragmentAnswerText(result)).toBe(MULTI_LINE_TEXT);
    for (const dangerous of [
      '<img',
      '<b>',
      '<div hx-get',
      "hx-get='",
      'onerror="',
      '</span></div></div>',
    ]) {
      expect(result.raw).not.toContain(dangerous);
    }
    const [start] = fragments(result);
    expect(start).toContain(
      '<p class="question">multi-line &lt;i&gt;question&lt;/i&gt; &amp; more',
    );
    expect(unescapeHtml(/<p class="question">([^<]*)<\/p>/.exec(start)?.[1] ?? '')).toBe(question);
    expect(fragments(result).at(-1)).toMatch(
      new RegExp(
        `<input type="hidden" name="requestId" id="request-id" value="${UUID.source}" hx-swap-oob="true">$`,
      ),
    );
    expect(upstream.requestsFor(question)).toHaveLength(1);
  });

  it(`a re-POST with Last-Event-ID = the end's id (or later) gets only event: end, and no upstream call (${logName})`, async () => {
    const requestId = newId('ended');
    const question = `ended ${logName}`;
    upstream.script(question, { tokens: ['Done', '.'], delayMs: 5 });
    const first = await chat(requestId, question);
    const endId = lastId(first);
    await settled(requestId);
    for (const lastEventId of [endId, endId + 5]) {
      const again = await chat(requestId, question, { 'last-event-id': String(lastEventId) });
      expect(again.status).toBe(200);
      expect(again.events).toEqual([expect.objectContaining({ event: 'end', data: 'stop' })]);
    }
    const followed = await follow(requestId, { 'last-event-id': String(endId) });
    expect(followed.events).toEqual([expect.objectContaining({ event: 'end', data: 'stop' })]);
    expect(upstream.requestsFor(question)).toHaveLength(1);
  });

  it(`a Stop that ended the stream says so once: a resume past the end does not repeat "Stopped." (${logName})`, async () => {
    const requestId = newId('stopped');
    const question = `stopped ${logName}`;
    upstream.script(question, { tokens: SLOW_WORDS, delayMs: 50 });
    const first = await requestHtmx(`${service.url}/htmx/chat`, {
      form: questionForm(question, requestId),
      onEvent: (event) => {
        if (event.id === '3') {
          void requestHtmx(`${service.url}/htmx/stop`, { form: [['requestId', requestId]] });
        }
      },
    });
    expect(first.raw.match(/Stopped\./g)).toHaveLength(1);
    expect(first.events.at(-1)).toMatchObject({ event: 'end', data: 'cancelled' });
    await within('the upstream call to close', upstream.requestsFor(question)[0].aborted, 5_000);
    await settled(requestId);
    const endId = String(lastId(first));
    const again = await chat(requestId, question, { 'last-event-id': endId });
    expect(again.raw).not.toContain('Stopped.');
    expect(again.events).toEqual([expect.objectContaining({ event: 'end', data: 'cancelled' })]);
  });

  it(`a re-POST with an earlier Last-Event-ID gets exactly the rest, the bytes the first response had (${logName})`, async () => {
    const requestId = newId('rest');
    const question = `rest ${logName}`;
    upstream.script(question, { tokens: ['One ', 'two ', 'three ', 'four ', 'five.'], delayMs: 5 });
    const first = await chat(requestId, question);
    await settled(requestId);
    const again = await chat(requestId, question, { 'last-event-id': '2' });
    const firstBlocks = sseBlocks(first.raw).filter(
      (block) => Number(/^id: (\d+)\n/.exec(block)?.[1] ?? -1) > 2,
    );
    // Only the fresh request id for the next question differs (each answer makes a new one).
    const masked = (blocks: string[]): string[] =>
      blocks.map((block) => block.replace(UUID, '<next-id>'));
    expect(masked(sseBlocks(again.raw).slice(1))).toEqual(
      masked([...firstBlocks, 'event: end\ndata: stop']),
    );
    expect(again.events[0].id).toBe('3');
    expect(upstream.requestsFor(question)).toHaveLength(1);
  });

  it(`a re-POST while it runs continues the same generation live: all the text once, one upstream call (${logName})`, async () => {
    const requestId = newId('live');
    const question = `live ${logName}`;
    upstream.script(question, { tokens: SLOW_WORDS, delayMs: 50 });
    // The first connection goes away after event 5, as a cut would take it.
    const cut = await requestHtmx(`${service.url}/htmx/chat`, {
      form: questionForm(question, requestId),
      onEvent: (event) => event.id === '5',
    });
    const resumed = await chat(requestId, question, { 'last-event-id': '5' });
    expect(resumed.events[0].id).toBe('6');
    expect(fragmentAnswerText(cut) + fragmentAnswerText(resumed)).toBe(SLOW_WORDS.join(''));
    // Live: the rest arrived as the model made it, not as one replay.
    const tokens = resumed.events.filter((event) => event.data.includes('<span>'));
    expect((tokens.at(-1)?.at ?? 0) - (tokens[0]?.at ?? 0)).toBeGreaterThan(500);
    expect(resumed.events.at(-1)).toMatchObject({ event: 'end', data: 'stop' });
    const [upstreamCall, ...others] = upstream.requestsFor(question);
    expect(others).toEqual([]);
    expect(upstreamCall.abortedAt).toBeUndefined();
  });

  it(`a re-POST with Last-Event-ID for a stream that does not exist gets only event: end, and no upstream call (${logName})`, async () => {
    const question = `never started ${logName}`;
    const result = await chat(newId('unknown'), question, { 'last-event-id': '4' });
    expect(result.status).toBe(200);
    expect(result.events).toEqual([expect.objectContaining({ event: 'end' })]);
    expect(upstream.requestsFor(question)).toEqual([]);
  });

  it(`htmx 2: POST /htmx/v2/chat answers with the turn, whose answer follows /htmx/streams/{id} (${logName})`, async () => {
    const requestId = newId('v2');
    const question = `v2 <script>x</script> ${logName}`;
    upstream.script(question, { tokens: MULTI_LINE_TOKENS, delayMs: 5 });
    const response = await fetch(`${service.url}/htmx/v2/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(questionForm(question, requestId)).toString(),
    });
    // Any 2xx but 204 is swapped by htmx 2 (Nest answers a POST with 201).
    expect(response.ok && response.status !== 204).toBe(true);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const turn = await response.text();
    expect(turn).toContain(`<p class="question">v2 &lt;script&gt;x&lt;/script&gt; ${logName}</p>`);
    expect(turn).toContain(
      `id="answer-${requestId}" aria-live="polite" hx-ext="sse" sse-connect="/htmx/streams/${requestId}" sse-swap="fragment" hx-swap="beforeend" sse-close="end"`,
    );
    expect(turn).toMatch(new RegExp(`id="request-id" value="${UUID.source}" hx-swap-oob="true">$`));

    const fresh = await follow(requestId);
    expect(fresh.status).toBe(200);
    // A connection without Last-Event-ID replays everything, into an emptied answer.
    expect(fresh.events[0]).toMatchObject({
      event: 'fragment',
      data: `<div id="answer-${requestId}" hx-swap-oob="innerHTML"></div>`,
    });
    expect(fresh.events.slice(0, -1).every((event) => event.event === 'fragment')).toBe(true);
    expect(fresh.events.at(-1)).toMatchObject({ event: 'end', data: 'stop' });
    expect(fragmentAnswerText(fresh)).toBe(MULTI_LINE_TEXT);
    for (const block of sseBlocks(fresh.raw).slice(1)) {
      for (const line of block.split('\n')) {
        expect(line).toMatch(/^(id: \d+|event: (fragment|end)|data: .*)$/);
      }
    }

    const resumed = await follow(requestId, { 'last-event-id': '2' });
    expect(resumed.events[0]).toMatchObject({ id: '3', event: 'fragment' });
    expect(resumed.raw).not.toContain('hx-swap-oob="innerHTML"');
    const withoutTimes = (events: StreamResult['events']) =>
      events.map(({ id, event, data }) => ({ id, event, data }));
    // The same events as the first time, from event 3 on, the end included.
    expect(withoutTimes(resumed.events)).toEqual(
      withoutTimes(fresh.events.slice(fresh.events.findIndex((event) => event.id === '3'))),
    );
    expect(upstream.requestsFor(question)).toHaveLength(1);
  });

  it(`htmx 2: an unknown stream gets only event: end (so htmx-ext-sse stops reconnecting), never a 204 (${logName})`, async () => {
    const result = await follow(newId('nobody'));
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(result.events).toEqual([expect.objectContaining({ event: 'end' })]);
    const withCursor = await follow(newId('nobody'), { 'last-event-id': '3' });
    expect(withCursor.events).toEqual([expect.objectContaining({ event: 'end' })]);
    // Path segments no request id (and no header) can hold: a line feed, a euro sign, a space.
    for (const segment of ['%0A', '%E2%82%AC', 'a%20b', '%0D%0AX-Evil:%201']) {
      const weird = await follow(segment);
      expect(weird.status).toBe(200);
      expect(weird.events).toEqual([expect.objectContaining({ event: 'end' })]);
      expect(weird.headers.get('x-request-id')).toBeNull();
      expect(weird.headers.get('x-evil')).toBeNull();
    }
  });

  it(`POST /htmx/stop cancels a running generation: the upstream socket closes, the stream ends cancelled (${logName})`, async () => {
    const requestId = newId('stop');
    const question = `stop raw ${logName}`;
    upstream.script(question, { tokens: SLOW_WORDS, delayMs: 50 });
    const stream = chat(requestId, question);
    await within(
      'the upstream call',
      (async () => {
        while (upstream.requestsFor(question).length === 0)
          await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
    );
    const stop = await requestHtmx(`${service.url}/htmx/stop`, {
      form: [['requestId', requestId]],
    });
    expect(stop.status).toBe(204);
    await within('the upstream socket to close', upstream.requestsFor(question)[0].aborted, 5_000);
    const result = await stream;
    expect(result.events.at(-1)).toMatchObject({ event: 'end', data: 'cancelled' });
    expect(endReason(await settled(requestId))).toBe('cancelled');
    // Stopping what already ended, or what never was, changes nothing.
    const late = await requestHtmx(`${service.url}/htmx/stop`, {
      form: [['requestId', requestId]],
    });
    expect(late.status).toBe(204);
    const unknown = await requestHtmx(`${service.url}/htmx/stop`, {
      form: [['requestId', newId('none')]],
    });
    expect(unknown.status).toBe(204);
  });
});
