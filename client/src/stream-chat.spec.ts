import { FakeOpenAIServer } from '../../test/support/fake-openai-server.js';
import { openAiEnv } from '../../test/support/openai-env.js';
import { startApp, type RunningApp } from '../../test/support/start-app.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';
import {
  cancel,
  ChatConnectionError,
  ChatHttpError,
  ChatStreamError,
  streamChat,
  type ChatStreamEvent,
  type ConnectionState,
} from './index.js';

const TOKENS = Array.from({ length: 40 }, (_, index) => `c${index} `);

describe('client library against the real service', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let proxy: TcpProxy;
  let viaProxy: string;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start()));
    proxy = new TcpProxy(service.port);
    viaProxy = await proxy.start();
    upstream.script('client basic', { tokens: TOKENS.slice(0, 5), delayMs: 5 });
    upstream.script('client slow', { tokens: TOKENS, delayMs: 40 });
    upstream.script('client fails', { tokens: [], status: 500 });
  });

  afterAll(async () => {
    await proxy.close();
    await service.close();
    await upstream.close();
  });

  it('yields typed events in order and calls onToken for each token', async () => {
    const seen: string[] = [];
    const stream = streamChat({ baseUrl: service.url, body: { query: 'client basic' } }).onToken(
      (content) => seen.push(content),
    );
    const events: ChatStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'start',
      'token',
      'token',
      'token',
      'token',
      'token',
      'usage',
      'end',
    ]);
    expect(events.map((event) => event.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(seen.join('')).toBe(TOKENS.slice(0, 5).join(''));
    expect(stream.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.at(-1)).toEqual({ type: 'end', id: 7, reason: 'stop' });
  });

  it('text() resolves with the whole answer', async () => {
    const text = await streamChat({ baseUrl: service.url, body: { query: 'client basic' } }).text();
    expect(text).toBe(TOKENS.slice(0, 5).join(''));
  });

  it('throws ChatHttpError with the status and the server message for a refused request', async () => {
    const failure = streamChat({ baseUrl: service.url, body: { query: '' } }).text();
    await expect(failure).rejects.toBeInstanceOf(ChatHttpError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('query must be longer') as string,
    });
  });

  it('throws ChatStreamError with the code when the stream ends in an error event', async () => {
    const failure = streamChat({ baseUrl: service.url, body: { query: 'client fails' } }).text();
    await expect(failure).rejects.toBeInstanceOf(ChatStreamError);
    await expect(failure).rejects.toMatchObject({
      code: 'upstream_error',
      retryable: true,
      endReason: 'error',
    });
  });

  it('cancel(requestId) ends the stream with cancelled and closes the upstream call', async () => {
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client slow' },
      requestId: 'client-cancel-1',
    });
    const events: ChatStreamEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (event.id === 3) await cancel('client-cancel-1', { baseUrl: service.url });
    }
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'cancelled' });
    await expect(upstream.requestsFor('client slow').at(-1)?.aborted).resolves.toBeGreaterThan(0);
    await expect(cancel('client-cancel-1', { baseUrl: service.url })).resolves.toBe(false);
  });

  it('aborting the caller signal cancels on the server too, not only locally', async () => {
    const controller = new AbortController();
    const before = upstream.requestsFor('client slow').length;
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client slow' },
      resume: true, // onDisconnect: continue, so only the DELETE can stop it
      signal: controller.signal,
    });
    await expect(
      (async () => {
        for await (const event of stream) if (event.id === 3) controller.abort();
      })(),
    ).rejects.toThrow();
    const request = upstream.requestsFor('client slow')[before];
    await expect(request.aborted).resolves.toBeGreaterThan(0);
  });

  it('resumes after a mid-stream drop without re-POSTing: nothing lost, nothing twice', async () => {
    const states: ConnectionState[] = [];
    const postsBefore = upstream.requestsFor('client slow').length;
    const stream = streamChat({
      baseUrl: viaProxy,
      body: { query: 'client slow' },
      resume: true,
      retry: { initialDelayMs: 50 },
      onConnectionChange: (state) => states.push(state),
    });
    const events: ChatStreamEvent[] = [];
    let cut = false;
    for await (const event of stream) {
      events.push(event);
      if (event.id === 8 && !cut) {
        cut = true;
        proxy.cutAll();
      }
    }
    const tokens = events.filter((event) => event.type === 'token');
    expect(tokens.map((event) => (event.type === 'token' ? event.content : '')).join('')).toBe(
      TOKENS.join(''),
    );
    expect(events.map((event) => event.id)).toEqual(
      Array.from({ length: events.length }, (_, index) => index),
    );
    expect(states).toContain('reconnecting');
    expect(upstream.requestsFor('client slow').length - postsBefore).toBe(1);
  });

  it('without resume, a drop is a ChatConnectionError', async () => {
    const stream = streamChat({ baseUrl: viaProxy, body: { query: 'client slow' } });
    await expect(
      (async () => {
        for await (const event of stream) if (event.id === 4) proxy.cutAll();
      })(),
    ).rejects.toBeInstanceOf(ChatConnectionError);
  });
});
