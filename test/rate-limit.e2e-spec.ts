import { FakeOpenAIServer } from './support/fake-openai-server';
import { pause, waitUntil } from './support/gateway-probes';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const KEY_A = 'rate-key-a-31f0';
const KEY_B = 'rate-key-b-8c27';
const LIMIT = 5;
const QUICK = { tokens: ['ok'], delayMs: 1 };

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Starts a stream the way `route` does and reads it to its end; the status it got. */
async function startStream(
  baseUrl: string,
  key: string,
  route: 'post' | 'detached' | 'get' = 'post',
  query = 'quick',
): Promise<Response> {
  const headers = { ...auth(key), 'content-type': 'application/json' };
  const body = JSON.stringify({ query });
  const response =
    route === 'get'
      ? await fetch(`${baseUrl}/api/chat/stream?query=${encodeURIComponent(query)}`, { headers })
      : await fetch(`${baseUrl}/api/chat/${route === 'post' ? 'stream' : 'streams'}`, {
          method: 'POST',
          headers,
          body,
        });
  await response.clone().text(); // to its end, so each start is complete before the next
  return response;
}

/** A 429 an OpenAI client can act on: Retry-After (s), retry-after-ms, Nest's JSON shape. */
async function expectRateLimited(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  const seconds = Number(response.headers.get('retry-after'));
  const ms = Number(response.headers.get('retry-after-ms'));
  expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60).toBe(true);
  expect(Number.isInteger(ms) && ms >= 1 && ms <= 60_000).toBe(true);
  expect(seconds).toBe(Math.ceil(ms / 1000));
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({
    statusCode: 429,
    message: expect.any(String) as string,
    error: 'Too Many Requests',
  });
}

/** RATE_LIMIT_PER_MINUTE: stream starts per minute per API key, on every start route. */
describe('RATE_LIMIT_PER_MINUTE=5 (memory)', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;

  beforeAll(async () => {
    const env = { API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    service = await startApp(openAiEnv(await upstream.start(), env));
    upstream.script('quick', QUICK);
  });

  afterAll(async () => {
    await service?.close();
    await upstream.close();
  });

  it('refuses the 6th start of a key within a minute with 429, on every route; other keys go on', async () => {
    const routes = ['post', 'post', 'detached', 'get', 'post'] as const;
    for (const route of routes) {
      expect((await startStream(service.url, KEY_A, route)).status).toBe(
        route === 'detached' ? 202 : 200,
      );
    }
    const before = upstream.requests.length;
    for (const route of ['post', 'detached', 'get'] as const) {
      await expectRateLimited(await startStream(service.url, KEY_A, route, 'over the limit'));
    }
    const other = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'quick' },
      headers: auth(KEY_B),
    });
    expect(other.status).toBe(200);
    expect(endReason(other)).toBe('stop');
    await pause(300); // an upstream call for a refused start would have been made by now
    expect(upstream.requestsFor('over the limit')).toHaveLength(0);
    expect(upstream.requests.length).toBe(before + 1);
  });
});

describe('RATE_LIMIT_PER_MINUTE=5 shared by two instances through Redis', () => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer;
  let one: RunningApp;
  let two: RunningApp;
  let unlimited: RunningApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = openAiEnv(await upstream.start(), {
      API_KEYS: `${KEY_A},${KEY_B}`,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
      REDIS_URL: redis.url,
    });
    [one, two, unlimited] = await Promise.all([
      startApp(env),
      startApp(env),
      startApp({ ...env, RATE_LIMIT_PER_MINUTE: '0' }),
    ]);
    upstream.script('quick', QUICK);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close(), unlimited?.close()]);
    await redis?.stop();
    await upstream.close();
  });

  it('counts starts on both instances against one limit', async () => {
    for (const app of [one, one, one, two, two]) {
      expect((await startStream(app.url, KEY_A)).status).toBe(200);
    }
    await expectRateLimited(await startStream(two.url, KEY_A, 'post', 'over the limit'));
    await expectRateLimited(await startStream(one.url, KEY_A, 'post', 'over the limit'));
    expect((await startStream(two.url, KEY_B)).status).toBe(200);
    await pause(300);
    expect(upstream.requestsFor('over the limit')).toHaveLength(0);
  });

  it('while Redis is down a start gets what it would without the limiter (503), never a 500', async () => {
    await redis.stop();
    try {
      const limited = await startStream(one.url, KEY_B);
      const plain = await startStream(unlimited.url, KEY_B);
      expect(plain.status).toBe(503);
      expect(limited.status).toBe(plain.status);
      expect(limited.headers.get('retry-after')).toBe(plain.headers.get('retry-after'));
      expect(await limited.json()).toEqual(await plain.json());
    } finally {
      await redis.restart();
    }
    await waitUntil(
      'ready again',
      async () => (await fetch(`${one.url}/health/ready`)).status === 200,
    );
    // Back on Redis, the count kept through the outage still holds.
    await expectRateLimited(await startStream(one.url, KEY_A, 'post', 'over the limit'));
  });
});
