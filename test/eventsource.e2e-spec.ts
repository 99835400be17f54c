import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { RecordingEventSource, type EventSourceMessage } from './support/recording-event-source';
import { RedisServer } from './support/redis-server';
import { readStream, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { TcpProxy } from './support/tcp-proxy';
import { sleep, waitFor, within } from './support/wait-for';

/** The server's `retry:`; an EventSource waits this long before every reconnect. */
const RETRY_MS = 2_000;
const tokens = (label: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${label}${index} `);

/** What a user can compare: name, id and data of every event, in order. */
const transcript = (messages: EventSourceMessage[]) =>
  messages.map(({ type, id, data }) => ({ type, id, data }));
const fromLog = (result: StreamResult) =>
  result.events.map(({ event, id, data }) => ({ type: event ?? 'message', id: id ?? '', data }));
const ids = (messages: EventSourceMessage[]): number[] =>
  messages.filter((message) => message.id !== '').map((message) => Number(message.id));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);
const endReasonOf = (messages: EventSourceMessage[]): string | undefined =>
  messages
    .filter((message) => message.type === 'end')
    .map((message) => (JSON.parse(message.data) as { reason: string }).reason)
    .at(-1);
const textOf = (messages: EventSourceMessage[]): string =>
  messages
    .filter((message) => message.type === 'message' && message.data !== '[DONE]')
    .map((message) => (JSON.parse(message.data) as { content: string }).content)
    .join('');

describe.each([
  ['in-memory stream log', false],
  ['Redis stream log', true],
])('GET /api/chat/stream with a real EventSource (%s)', (_label, withRedis) => {
  const upstream = new FakeOpenAIServer();
  const sources: RecordingEventSource[] = [];
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let proxy: TcpProxy;
  let viaProxy: string;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    const extra: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
    service = await startApp(openAiEnv(await upstream.start(), extra));
    proxy = new TcpProxy(service.port);
    viaProxy = await proxy.start();
  }, 30_000);

  afterAll(async () => {
    for (const source of sources) source.close();
    await proxy?.close();
    await service?.close();
    await redis?.stop();
    await upstream.close();
  });

  const open = (base: string, params: Record<string, string>): RecordingEventSource => {
    const source = new RecordingEventSource(
      `${base}/api/chat/stream?${new URLSearchParams(params).toString()}`,
    );
    sources.push(source);
    return source;
  };
  const getStream = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    readStream(`${service.url}/api/chat/stream?${new URLSearchParams(params).toString()}`, {
      method: 'GET',
      headers,
    });
  const attach = (requestId: string): Promise<StreamResult> =>
    readStream(`${service.url}/api/chat/streams/${requestId}`, { method: 'GET' });

  it('a stream that ends normally is delivered once, then the reconnect gets 204 and the EventSource closes: one upstream call, with or without requestId', async () => {
    const plain = tokens('p', 8);
    const named = tokens('n', 8);
    upstream.script('es ends plain', { tokens: plain, delayMs: 15 });
    upstream.script('es ends named', { tokens: named, delayMs: 15 });
    const withoutId = open(service.url, { query: 'es ends plain' });
    const withId = open(service.url, { query: 'es ends named', requestId: 'es-ends-named' });

    for (const [source, expected] of [
      [withoutId, plain],
      [withId, named],
    ] as const) {
      // The stream (~0.2 s), one retry period, then the 204: well inside 2.5 retry periods.
      await within('the EventSource closing itself', source.closed, RETRY_MS * 2.5);
      expect(source.readyState).toBe(2); // CLOSED: it will never reconnect again
      const lastId = String(expected.length + 2); // start, tokens, usage, end
      expect(
        source.connections.map(({ lastEventId, status }) => ({ lastEventId, status })),
      ).toEqual([
        { lastEventId: undefined, status: 200 },
        { lastEventId: lastId, status: 204 },
      ]);
      expect(source.messages.every((message) => message.connection === 0)).toBe(true);
      expect(ids(source.messages)).toEqual(range(0, expected.length + 2));
      expect(textOf(source.messages)).toBe(expected.join(''));
      expect(endReasonOf(source.messages)).toBe('stop');
      expect(source.messages.at(-1)?.data).toBe('[DONE]');
      // It waited the server's retry period before asking again.
      const endAt = source.messages.at(-1)?.at ?? 0;
      expect(source.connections[1].at - endAt).toBeGreaterThanOrEqual(RETRY_MS - 100);
    }
    // Several retry periods after the first stream began: still one upstream call each.
    await sleep(Math.max(0, RETRY_MS * 2.5 - (withoutId.connections[1].at ?? 0)));
    expect(upstream.requestsFor('es ends plain')).toHaveLength(1);
    expect(upstream.requestsFor('es ends named')).toHaveLength(1);
    expect(withoutId.connections).toHaveLength(2);
    expect(withId.connections).toHaveLength(2);
  });

  it('a connection dropped mid-stream (requestId in the URL): the reconnect carries Last-Event-ID and gets exactly the missing events; one upstream call', async () => {
    upstream.script('es drop named', { tokens: tokens('d', 60), delayMs: 30 });
    const source = open(viaProxy, { query: 'es drop named', requestId: 'es-drop-named' });
    await source.waitForMessage((message) => message.id === '10');
    const cutAt = Date.now();
    proxy.cutAll();

    await within('the EventSource closing itself', source.closed, RETRY_MS * 3);
    const [first, resumed, last] = source.connections;
    expect(source.connections).toHaveLength(3);
    expect(first).toMatchObject({ lastEventId: undefined, status: 200 });
    const seenBeforeCut = ids(source.messages.filter((message) => message.connection === 0));
    expect(Number(resumed.lastEventId)).toBe(seenBeforeCut.at(-1));
    expect(resumed.status).toBe(200);
    const seenAfter = ids(source.messages.filter((message) => message.connection === 1));
    expect(seenAfter[0]).toBe(Number(resumed.lastEventId) + 1);
    expect(last).toMatchObject({ lastEventId: String(seenAfter.at(-1)), status: 204 });
    // No duplicates, no gaps, across both responses.
    const all = ids(source.messages);
    expect(all).toEqual(range(0, all.length - 1));
    // The default onDisconnect is `cancel`: the drop ended the generation, and the reconnect
    // delivers what was logged until then, closed by `end: cancelled`. GET has no way to ask for
    // `continue` (see the GAP test below).
    expect(endReasonOf(source.messages)).toBe('cancelled');
    expect(source.messages.at(-1)?.data).toBe('[DONE]');
    expect(transcript(source.messages)).toEqual(fromLog(await attach('es-drop-named')));
    const requests = upstream.requestsFor('es drop named');
    expect(requests).toHaveLength(1);
    expect((await requests[0].aborted) - cutAt).toBeLessThan(1_000);
  });

  it('a reconnect without requestId cannot be matched to its stream: 204, never a second upstream call', async () => {
    upstream.script('es drop plain', { tokens: tokens('q', 60), delayMs: 30 });
    const source = open(viaProxy, { query: 'es drop plain' });
    await source.waitForMessage((message) => message.id === '5');
    proxy.cutAll();

    await within('the EventSource closing itself', source.closed, RETRY_MS * 2);
    expect(source.connections).toHaveLength(2);
    const seen = ids(source.messages);
    expect(seen).toEqual(range(0, seen.length - 1));
    expect(source.connections[1]).toMatchObject({
      lastEventId: String(seen.at(-1)),
      status: 204,
    });
    expect(source.messages.every((message) => message.connection === 0)).toBe(true);
    await sleep(300); // a late second call would have arrived by now
    expect(upstream.requestsFor('es drop plain')).toHaveLength(1);
  });

  it('GET with the requestId of an existing stream replays it; lastEventId in the query works like the header; HEAD never generates', async () => {
    upstream.script('es replay', { tokens: tokens('r', 6), delayMs: 5 });
    const params = { query: 'es replay', requestId: 'es-replay' };
    const original = await getStream(params);
    expect(original.status).toBe(200);
    const endId = 8; // start, 6 tokens, usage, end

    const replay = await getStream(params);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('x-request-id')).toBe('es-replay');
    expect(replay.raw).toBe(original.raw);

    const byHeader = await getStream(params, { 'last-event-id': '3' });
    const byQuery = await getStream({ ...params, lastEventId: '3' });
    expect(byHeader.events[0].id).toBe('4');
    expect(byQuery.raw).toBe(byHeader.raw);
    expect(fromLog(byQuery)).toEqual(fromLog(original).slice(4));
    expect((await getStream({ ...params, lastEventId: String(endId) })).status).toBe(204);
    // A cursor for a stream the server cannot identify: nothing to resume, nothing to start.
    expect((await getStream({ query: 'es replay', lastEventId: '3' })).status).toBe(204);
    expect((await getStream({ query: 'es replay' }, { 'last-event-id': '3' })).status).toBe(204);

    upstream.script('es head', { tokens: tokens('h', 3) });
    const headQueries: Record<string, string>[] = [
      { query: 'es head' },
      { query: 'es head', requestId: 'es-head' },
      { query: 'es replay', requestId: 'es-replay' },
    ];
    const heads = await Promise.all(
      headQueries.map((query) =>
        fetch(`${service.url}/api/chat/stream?${new URLSearchParams(query).toString()}`, {
          method: 'HEAD',
        }),
      ),
    );
    for (const head of heads) expect(head.status).toBe(405);
    await sleep(300); // a late upstream call would have arrived by now
    expect(upstream.requestsFor('es head')).toHaveLength(0);
    expect(upstream.requestsFor('es replay')).toHaveLength(1);
  });

  // EventSource users need this: with the default `cancel`, a network blip ends the answer and
  // the reconnect only replays `end: cancelled`. Needs `onDisconnect` in ChatQueryDto (c2c2013
  // answers 400 to it).
  it('with ?onDisconnect=continue a dropped EventSource resumes the whole answer from the log; one upstream call', async () => {
    const answer = tokens('c', 40);
    upstream.script('es drop continue', { tokens: answer, delayMs: 20 });
    const source = open(viaProxy, {
      query: 'es drop continue',
      requestId: 'es-drop-continue',
      onDisconnect: 'continue',
    });
    await waitFor('the first response', () => source.connections[0]?.status !== undefined);
    expect(source.connections[0].status).toBe(200);
    await source.waitForMessage((message) => message.id === '10', 5_000);
    proxy.cutAll();
    await within('the EventSource closing itself', source.closed, RETRY_MS * 3);
    expect(source.connections.map((connection) => connection.status)).toEqual([200, 200, 204]);
    const all = ids(source.messages);
    expect(all).toEqual(range(0, answer.length + 2));
    expect(textOf(source.messages)).toBe(answer.join(''));
    expect(endReasonOf(source.messages)).toBe('stop');
    const requests = upstream.requestsFor('es drop continue');
    expect(requests).toHaveLength(1);
    expect(requests[0].abortedAt).toBeUndefined();
  });
});
