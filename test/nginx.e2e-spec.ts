import { request } from 'node:http';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { readNginxConf, RENDERED_DIRECTIVES, startNginx, type RunningNginx } from './support/nginx';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { tokenArrivals, VIEW_STREAM_ROUTES } from './support/view-stream-routes';

const TOKENS = Array.from({ length: 20 }, (_, index) => `tok${index} `);
const GAP_MS = 60;

/** A request with the path exactly as written: fetch() would normalise `..` and `//` away. */
function rawRequest(
  baseUrl: string,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname, port, path, method, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Spellings of the metrics path a client might try; the app itself serves the first six. */
const METRICS_PATHS = [
  '/metrics',
  '/metrics/',
  '/Metrics',
  '/METRICS',
  '/metrics?format=text',
  '/metrics#x',
  '//metrics',
  '/./metrics',
  '/api/../metrics',
  '/api/chat/stream/../../../metrics',
  '/health/%2e%2e/metrics',
  '/%6detrics',
  '/%2Fmetrics',
  '/metrics%2F',
  '/api/metrics',
];

/** The user-visible promise: the first token arrives long before the last one. */
function streamsIncrementally(result: StreamResult): boolean {
  const tokens = result.events.filter((event) => event.id && event.event === undefined);
  if (tokens.length !== TOKENS.length) return false;
  const spread = tokens[tokens.length - 1].at - tokens[0].at;
  return spread > (TOKENS.length - 1) * GAP_MS * 0.7;
}

/** The classic mistake: buffering on, HTTP/1.0 to the upstream, the app's header ignored. */
const BUFFERING_EDITS: [string, string][] = [
  ['proxy_buffering off;', 'proxy_buffering on;\n      proxy_ignore_headers X-Accel-Buffering;'],
  ['proxy_http_version 1.1;', 'proxy_http_version 1.0;'],
];

/** Time from the first token to the last as the client saw them; every token, in order. */
function tokenSpreadMs(result: StreamResult): number {
  const arrivals = tokenArrivals(result);
  const times = TOKENS.map((_, index) => arrivals.get(index));
  const missing = times.findIndex((at) => at === undefined);
  if (missing >= 0) throw new Error(`token ${missing} never arrived:\n${result.raw.slice(-600)}`);
  const ordered = times as number[];
  if (ordered.some((at, index) => index > 0 && at < ordered[index - 1])) {
    throw new Error(`tokens arrived out of order:\n${result.raw.slice(-600)}`);
  }
  return ordered[ordered.length - 1] - ordered[0];
}

/** The model takes (n-1) gaps between its first and last token; a streaming proxy keeps most. */
const STREAMED_SPREAD_MS = (TOKENS.length - 1) * GAP_MS * 0.7;

describe('through real nginx with nginx/nginx.conf', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let proxy: RunningNginx;
  let buffering: RunningNginx;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start(), { HEARTBEAT_MS: '200' }));
    upstream.script('through nginx', { tokens: TOKENS, delayMs: GAP_MS });
    proxy = await startNginx([service.port]);
    buffering = await startNginx([service.port], BUFFERING_EDITS);
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

  it('the nginx under test runs nginx/nginx.conf with only its ports and paths replaced', () => {
    const rendered = new Set(proxy.conf.split('\n'));
    const changed = readNginxConf()
      .split('\n')
      .filter((line) => !rendered.has(line));
    expect(changed.length).toBeGreaterThan(0);
    for (const line of changed) {
      expect(RENDERED_DIRECTIVES.some((directive) => line.includes(directive))).toBe(true);
    }
  });

  it('the app serves /metrics to the internal network', async () => {
    const direct = await rawRequest(service.url, '/metrics');
    expect(direct.status).toBe(200);
    expect(direct.body).toContain('gateway_streams_started_total');
  });

  it.each(METRICS_PATHS)('refuses %s through the public nginx server', async (path) => {
    const viaNginx = await rawRequest(proxy.url, path);
    expect(viaNginx.status).toBe(404);
    expect(viaNginx.body).not.toContain('gateway_');
  });

  it('refuses HEAD /metrics through nginx too, and still proxies the rest', async () => {
    expect((await rawRequest(proxy.url, '/metrics', 'HEAD')).status).toBe(404);
    expect((await rawRequest(proxy.url, '/health/live')).status).toBe(200);
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

const MODES = [
  { mode: 'memory log', redis: false },
  { mode: 'Redis log', redis: true },
];

const ROUTE_TABLE = VIEW_STREAM_ROUTES.map((route) => [route.name, route] as const);

describe.each(MODES)(
  "every view's streaming route through real nginx ($mode)",
  ({ mode, redis }) => {
    const upstream = new FakeOpenAIServer();
    let redisServer: RedisServer | undefined;
    let service: RunningApp;
    let proxy: RunningNginx;
    let buffering: RunningNginx | undefined;

    beforeAll(async () => {
      redisServer = redis ? await RedisServer.start() : undefined;
      const env: Record<string, string> = { HEARTBEAT_MS: '200' };
      if (redisServer) env.REDIS_URL = redisServer.url;
      service = await startApp(openAiEnv(await upstream.start(), env));
      proxy = await startNginx([service.port]);
      if (!redis) buffering = await startNginx([service.port], BUFFERING_EDITS);
    });

    afterAll(async () => {
      await proxy?.stop();
      await buffering?.stop();
      await service?.close();
      await upstream.close();
      await redisServer?.stop();
    });

    /** A slow model behind `via`, read on `route` as that view's client reads it. */
    async function readSlowStream(
      route: (typeof VIEW_STREAM_ROUTES)[number],
      via: RunningNginx,
      label: string,
    ): Promise<StreamResult> {
      const prompt = `nginx ${mode} ${label} ${route.name}`;
      upstream.script(prompt, { tokens: TOKENS, delayMs: GAP_MS });
      const result = await route.read(via.url, prompt);
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(result.headers.get('content-encoding')).toBeNull();
      expect(route.endedWell(result)).toBe(true);
      expect(upstream.requestsFor(prompt)).toHaveLength(1);
      return result;
    }

    it.each(ROUTE_TABLE)(
      '%s: the first token arrives long before the last, as the model makes them',
      async (_name, route) => {
        const result = await readSlowStream(route, proxy, 'unbuffered');
        expect(tokenSpreadMs(result)).toBeGreaterThan(STREAMED_SPREAD_MS);
      },
    );

    // The check above can fail on every route; which log serves the events does not change that.
    if (!redis) {
      it.each(ROUTE_TABLE)(
        '%s: the same check fails against a deliberately buffering nginx',
        async (_name, route) => {
          if (!buffering) throw new Error('no buffering nginx');
          const result = await readSlowStream(route, buffering, 'buffering');
          expect(tokenSpreadMs(result)).toBeLessThan(STREAMED_SPREAD_MS);
        },
      );
    }
  },
);
