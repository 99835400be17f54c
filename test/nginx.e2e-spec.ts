import { FakeOpenAIServer } from './support/fake-openai-server';
import { startNginx, type RunningNginx } from './support/nginx';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const TOKENS = Array.from({ length: 20 }, (_, index) => `tok${index} `);
const GAP_MS = 60;

/** The user-visible promise: the first token arrives long before the last one. */
function streamsIncrementally(result: StreamResult): boolean {
  const tokens = result.events.filter((event) => event.id && event.event === undefined);
  if (tokens.length !== TOKENS.length) return false;
  const spread = tokens[tokens.length - 1].at - tokens[0].at;
  return spread > (TOKENS.length - 1) * GAP_MS * 0.7;
}

describe('through real nginx with nginx/nginx.conf', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let proxy: RunningNginx;
  let buffering: RunningNginx;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start(), { HEARTBEAT_MS: '200' }));
    upstream.script('through nginx', { tokens: TOKENS, delayMs: GAP_MS });
    proxy = await startNginx([service.port]);
    // The classic mistake: buffering on, HTTP/1.0 to the upstream, the app's header ignored.
    buffering = await startNginx(
      [service.port],
      [
        [
          'proxy_buffering off;',
          'proxy_buffering on;\n      proxy_ignore_headers X-Accel-Buffering;',
        ],
        ['proxy_http_version 1.1;', 'proxy_http_version 1.0;'],
      ],
    );
  });

  afterAll(async () => {
    await proxy?.stop();
    await buffering?.stop();
    await service?.close();
    await upstream.close();
  });

  it('delivers the first token long before the last, as the model makes them', async () => {
    const result = await readStream(`${proxy.url}/api/chat/stream`, {
      body: { query: 'through nginx' },
      headers: { 'x-request-id': 'via-nginx-1' },
    });
    expect(result.status).toBe(200);
    expect(result.headers.get('x-request-id')).toBe('via-nginx-1');
    expect(result.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(result.headers.get('content-encoding')).toBeNull();
    expect(tokenText(result)).toBe(TOKENS.join(''));
    expect(streamsIncrementally(result)).toBe(true);
    expect(endReason(result)).toBe('stop');
  });

  it('the same check fails against a deliberately buffering nginx', async () => {
    const result = await readStream(`${buffering.url}/api/chat/stream`, {
      body: { query: 'through nginx' },
    });
    expect(tokenText(result)).toBe(TOKENS.join(''));
    expect(streamsIncrementally(result)).toBe(false);
  });

  it('passes the app-generated request id to the client and lets it cancel through nginx', async () => {
    upstream.script('cancel via nginx', { tokens: TOKENS, delayMs: GAP_MS });
    let cancelling: Promise<Response> | undefined;
    let requestId = '';
    const result = await readStream(`${proxy.url}/api/chat/stream`, {
      body: { query: 'cancel via nginx' },
      onEvent: (event) => {
        if (event.event === 'start') {
          requestId = (JSON.parse(event.data) as { requestId: string }).requestId;
        }
        if (event.id !== '2') return;
        cancelling = fetch(`${proxy.url}/api/chat/streams/${requestId}`, { method: 'DELETE' });
      },
    });
    expect(result.headers.get('x-request-id')).toBe(requestId);
    expect((await cancelling)?.status).toBe(202);
    expect(endReason(result)).toBe('cancelled');
    await expect(upstream.requestsFor('cancel via nginx')[0].aborted).resolves.toBeGreaterThan(0);
  });

  it('a browser leaving nginx makes nginx close the upstream, which cancels the LLM call', async () => {
    upstream.script('leave via nginx', { tokens: TOKENS, delayMs: GAP_MS });
    const controller = new AbortController();
    let leftAt = 0;
    await readStream(`${proxy.url}/api/chat/stream`, {
      body: { query: 'leave via nginx' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.id !== '2') return false;
        leftAt = Date.now();
        controller.abort();
        return true;
      },
    }).catch(() => undefined);
    const abortedAt = await upstream.requestsFor('leave via nginx')[0].aborted;
    expect(abortedAt - leftAt).toBeLessThan(500);
  });

  it('answers plain JSON errors through nginx too', async () => {
    const response = await fetch(`${proxy.url}/api/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400 });
  });
});
