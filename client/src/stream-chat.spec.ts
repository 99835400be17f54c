import { FakeOpenAIServer } from '../../test/support/fake-openai-server.js';
import { openAiEnv } from '../../test/support/openai-env.js';
import { startApp, type RunningApp } from '../../test/support/start-app.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';
import { ScriptedSseServer } from '../test/scripted-sse-server.js';
import {
  cancel,
  ChatConnectionError,
  ChatHttpError,
  ChatProtocolError,
  ChatStreamError,
  streamChat,
  type ChatStreamEvent,
  type ConnectionState,
} from './index.js';

const TOKENS = Array.from({ length: 40 }, (_, index) => `c${index} `);

/** Resolves as `promise` does, or fails the test once `ms` have passed without it settling. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface RecordedCall {
  url: string;
  method: string;
  response: Response;
}

/** A `fetch` for the `fetch` option that keeps every call and its response. */
function recordingFetch(): { fetch: typeof fetch; calls: RecordedCall[]; attaches(): number } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    attaches: () => calls.filter((call) => call.url.includes('/api/chat/streams/')).length,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      calls.push({ url, method: init?.method ?? 'GET', response });
      return response;
    },
  };
}

/** Whether a response body was cancelled (closed with nothing more to read), not merely let go. */
async function wasCancelled(response: Response): Promise<boolean> {
  const body = response.body as ReadableStream<Uint8Array>;
  const first = await within(body.getReader().read(), 2000, 'a read of the body');
  return first.done;
}

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
    for (const prompt of [
      'client break',
      'client break resumed',
      'client listener',
      'client listener resume',
      'client state listener',
    ])
      upstream.script(prompt, { tokens: TOKENS, delayMs: 40 });
  });

  afterAll(async () => {
    await proxy.close();
    await service.close();
    await upstream.close();
  });

  /** The `reason` of the stream's `end` event, read back from the service's stream log. */
  async function endReasonOf(requestId: string): Promise<string | undefined> {
    const response = await fetch(`${service.url}/api/chat/streams/${requestId}`);
    const text = await within(response.text(), 5000, `the end of stream ${requestId}`);
    const data = /^event: end\ndata: (.*)$/m.exec(text)?.[1];
    return data === undefined ? undefined : (JSON.parse(data) as { reason: string }).reason;
  }

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

  it('break in the for await closes the connection: the server cancels the generation', async () => {
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client break' },
      requestId: 'client-break-1',
    });
    for await (const event of stream) if (event.id === 3) break;
    const [request] = upstream.requestsFor('client break');
    await within(request.aborted, 3000, 'the upstream request to be aborted');
    await expect(endReasonOf('client-break-1')).resolves.toBe('cancelled');
  });

  it('break also closes a connection obtained by re-attaching', async () => {
    const recorder = recordingFetch();
    const stream = streamChat({
      baseUrl: viaProxy,
      body: { query: 'client break resumed' },
      resume: true,
      retry: { initialDelayMs: 50 },
      fetch: recorder.fetch,
    });
    let cut = false;
    for await (const event of stream) {
      if (event.id === 4 && !cut) {
        cut = true;
        proxy.cutAll();
      }
      if (event.id === 10) break;
    }
    const attach = recorder.calls.find((call) => call.url.includes('/api/chat/streams/'));
    expect(attach).toBeDefined();
    await expect(wasCancelled((attach as RecordedCall).response)).resolves.toBe(true);
    await cancel(stream.requestId ?? '', { baseUrl: service.url }); // resume: onDisconnect continue
  });

  it('an onToken listener that throws: its own error reaches the caller, the connection closes', async () => {
    const boom = new Error('listener failed');
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client listener' },
      requestId: 'client-listener-1',
    }).onToken(() => {
      throw boom;
    });
    await expect(stream.text()).rejects.toBe(boom);
    const [request] = upstream.requestsFor('client listener');
    await within(request.aborted, 3000, 'the upstream request to be aborted');
    await expect(endReasonOf('client-listener-1')).resolves.toBe('cancelled');
  });

  it('with resume, a throwing listener is not taken for a drop: no re-attach', async () => {
    const recorder = recordingFetch();
    const boom = new Error('listener failed');
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client listener resume' },
      resume: true,
      retry: { initialDelayMs: 10 },
      fetch: recorder.fetch,
    }).onToken(() => {
      throw boom;
    });
    await expect(stream.text()).rejects.toBe(boom);
    expect(recorder.attaches()).toBe(0);
    await expect(wasCancelled(recorder.calls[0].response)).resolves.toBe(true);
    await stream.cancel();
  });

  it('an onConnectionChange that throws: its own error, and the just-opened connection closes', async () => {
    const boom = new Error('state listener failed');
    const stream = streamChat({
      baseUrl: service.url,
      body: { query: 'client state listener' },
      requestId: 'client-state-listener-1',
      onConnectionChange: (state) => {
        if (state === 'streaming') throw boom;
      },
    });
    await expect(stream.text()).rejects.toBe(boom);
    await expect(endReasonOf('client-state-listener-1')).resolves.toBe('cancelled');
  });

  describe('a server that breaks the wire contract', () => {
    const start =
      'retry: 2000\n\nid: 0\nevent: start\ndata: {"requestId":"scripted-1","model":"m",' +
      '"provider":"p","createdAt":"2026-01-01T00:00:00.000Z"}\n\n';

    it.each([
      ['malformed JSON', 'id: 1\ndata: {"content":"Hel\n\n'],
      ['a token without content', 'id: 1\ndata: {"text":"Hel"}\n\n'],
      ['an end with an unknown reason', 'id: 1\nevent: end\ndata: {"reason":"later"}\n\n'],
    ])('%s: one ChatProtocolError, no re-attach, the connection closed', async (_, bad) => {
      const server = new ScriptedSseServer(start + bad);
      const baseUrl = await server.start();
      try {
        const stream = streamChat({
          baseUrl,
          body: { query: 'scripted' },
          resume: true,
          retry: { initialDelayMs: 10 },
        });
        const failure = within(stream.text(), 5000, 'the stream to fail');
        await expect(failure).rejects.toBeInstanceOf(ChatProtocolError);
        await expect(failure).rejects.toMatchObject({ eventId: 1 });
        expect(server.attaches()).toHaveLength(0);
        await within(server.hungUp(), 2000, 'the client to close the connection');
      } finally {
        await server.close();
      }
    });
  });
});
