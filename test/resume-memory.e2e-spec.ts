import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const TOKENS = Array.from({ length: 30 }, (_, index) => `m${index} `);

describe('resume and late join on one instance (in-memory stream log)', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start(), { API_KEYS: 'key-1,key-2' }));
    upstream.script('memory resume', { tokens: TOKENS, delayMs: 10 });
  });
  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const auth = { authorization: 'Bearer key-1' };
  const attach = (
    id: string,
    headers: Record<string, string> = {},
    query = '',
  ): Promise<StreamResult> =>
    readStream(`${service.url}/api/chat/streams/${id}${query}`, {
      method: 'GET',
      headers: { ...auth, ...headers },
    });

  it('a client that dropped resumes with Last-Event-ID and gets exactly the rest', async () => {
    const controller = new AbortController();
    const first = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'memory resume', onDisconnect: 'continue' },
      headers: { ...auth, 'x-request-id': 'mem-1' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.id !== '9') return false;
        controller.abort();
        return true;
      },
    });
    const rest = await attach('mem-1', { 'last-event-id': '9' });
    expect(rest.events[0].id).toBe('10');
    const reference = await attach('mem-1');
    const shape = (events: StreamResult['events']) =>
      events.map(({ id, event, data }) => ({ id, event, data }));
    const kept = first.events.filter((event) => event.id !== undefined);
    expect(kept.at(-1)?.id).toBe('9');
    expect(shape([...kept, ...rest.events])).toEqual(shape(reference.events));
    expect(tokenText(reference)).toBe(TOKENS.join(''));
  });

  it('takes lastEventId as a query parameter too, and answers 204 once everything was seen', async () => {
    const rest = await attach('mem-1', {}, '?lastEventId=30');
    expect(rest.events.map((event) => event.event)).toEqual(['usage', 'end', undefined]);
    expect((await attach('mem-1', { 'last-event-id': '32' })).status).toBe(204);
  });

  it('POST /api/chat/streams starts a detached generation that can be read from id 0', async () => {
    const response = await fetch(`${service.url}/api/chat/streams`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'memory resume', onDisconnect: 'cancel' }),
    });
    expect(response.status).toBe(202);
    const { requestId, streamUrl } = (await response.json()) as {
      requestId: string;
      streamUrl: string;
    };
    expect(response.headers.get('location')).toBe(streamUrl);
    // Attach a little later: nothing is lost between the POST and the GET.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await attach(requestId);
    expect(result.events[0]).toMatchObject({ id: '0', event: 'start' });
    expect(tokenText(result)).toBe(TOKENS.join(''));
    expect(endReason(result)).toBe('stop');
  });

  it('answers 404 for unknown ids and for streams of another key, 400 for a bad Last-Event-ID', async () => {
    expect((await attach('nope')).status).toBe(404);
    expect((await attach('mem-1', { authorization: 'Bearer key-2' })).status).toBe(404);
    const deleteOther = await fetch(`${service.url}/api/chat/streams/mem-1`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer key-2' },
    });
    expect(deleteOther.status).toBe(404);
    expect((await attach('mem-1', { 'last-event-id': 'abc' })).status).toBe(400);
    expect((await attach('mem-1', {}, '?lastEventId=-1')).status).toBe(400);
  });

  it('validates the detached body like the streaming one, without calling the model', async () => {
    const before = upstream.requests.length;
    const response = await fetch(`${service.url}/api/chat/streams`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '' }),
    });
    expect(response.status).toBe(400);
    expect(upstream.requests.length).toBe(before);
  });
});
