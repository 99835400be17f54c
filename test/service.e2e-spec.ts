import request from 'supertest';
import { gracefulShutdown } from '../src/lifecycle/graceful-shutdown';
import { endReason, readStream, tokenText, dataOf } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

describe('the built-in demo model (the offline default)', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ DEMO_TOKEN_DELAY_MS: '40' });
  });
  afterAll(() => service.close());

  it('streams a readable answer about the question at a human pace, with usage', async () => {
    const result = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'How do rainbows form?' },
    });
    const [start] = dataOf<{ provider: string; model: string }>(result, 'start');
    expect(start).toMatchObject({ provider: 'demo', model: 'demo-1' });
    const text = tokenText(result);
    expect(text).toContain('How do rainbows form?');
    expect(text).toContain('demo model');
    const tokens = result.events.filter((event) => event.id && event.event === undefined);
    expect(tokens.length).toBeGreaterThan(30);
    // Paced: the answer takes a few seconds, not one burst.
    expect(tokens.at(-1)!.at - tokens[0].at).toBeGreaterThan((tokens.length - 1) * 30);
    expect(dataOf(result, 'usage')).toHaveLength(1);
    expect(endReason(result)).toBe('stop');
  });

  it('exports Prometheus metrics of the streams it ran', async () => {
    const response = await request(service.url).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toMatch(/^gateway_streams_started_total 1$/m);
    expect(response.text).toMatch(/^gateway_streams_ended_total\{reason="stop"\} 1$/m);
    expect(response.text).toMatch(/^gateway_stream_tokens_total [1-9]\d*$/m);
    expect(response.text).toMatch(/^gateway_time_to_first_token_seconds_count 1$/m);
    expect(response.text).toMatch(/^gateway_streams_active 0$/m);
    expect(response.text).toMatch(/^gateway_stream_log_healthy 1$/m);
    expect(response.text).toContain('process_resident_memory_bytes');
  });

  it('answers health checks', async () => {
    await request(service.url).get('/health/live').expect(200, { status: 'ok' });
    await request(service.url).get('/health/ready').expect(200, { status: 'ok' });
  });
});

describe('API keys', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ API_KEYS: 'key-one,key-two', DEMO_TOKEN_DELAY_MS: '30' });
  });
  afterAll(() => service.close());

  it('401 without or with a wrong bearer key, before anything else', async () => {
    for (const auth of [undefined, 'Bearer nope', 'Basic a2V5LW9uZQ==', 'key-one']) {
      const call = request(service.url).post('/api/chat/stream').set('content-type', 'text/plain');
      if (auth) void call.set('authorization', auth);
      const response = await call.send('{}');
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    await request(service.url).delete('/api/chat/streams/x').expect(401);
    await request(service.url).get('/health/live').expect(200);
  });

  it('only the key that started a stream can cancel it; to others it does not exist', async () => {
    let statuses: Promise<number[]> | undefined;
    const result = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'owned' },
      headers: { authorization: 'Bearer key-one', 'x-request-id': 'owned-1' },
      onEvent: (event) => {
        if (event.id !== '2') return;
        statuses = (async () => {
          const del = (key: string): Promise<Response> =>
            fetch(`${service.url}/api/chat/streams/owned-1`, {
              method: 'DELETE',
              headers: { authorization: `Bearer ${key}` },
            });
          const other = (await del('key-two')).status;
          const own = (await del('key-one')).status;
          return [other, own];
        })();
      },
    });
    expect(await statuses).toEqual([404, 202]);
    expect(endReason(result)).toBe('cancelled');
  });
});

describe('per-key limit', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({
      API_KEYS: 'k1,k2',
      MAX_STREAMS_PER_KEY: '1',
      DEMO_TOKEN_DELAY_MS: '50',
    });
  });
  afterAll(() => service.close());

  it('429 with Retry-After when a key already runs MAX_STREAMS_PER_KEY streams; others unaffected', async () => {
    const controller = new AbortController();
    const open = readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'hold' },
      headers: { authorization: 'Bearer k1' },
      signal: controller.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await request(service.url)
      .post('/api/chat/stream')
      .set('authorization', 'Bearer k1')
      .send({ query: 'second' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    const other = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'other key', maxTokens: 2 },
      headers: { authorization: 'Bearer k2' },
    });
    expect(other.status).toBe(200);
    controller.abort();
    await open;
  });
});

describe('capacity', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ MAX_CONCURRENT_STREAMS: '2', DEMO_TOKEN_DELAY_MS: '50' });
  });
  afterAll(() => service.close());

  it('503 with Retry-After once MAX_CONCURRENT_STREAMS are running', async () => {
    const controller = new AbortController();
    const open = [1, 2].map((n) =>
      readStream(`${service.url}/api/chat/stream`, {
        body: { query: `hold ${n}` },
        signal: controller.signal,
      }).catch(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const response = await request(service.url)
      .post('/api/chat/stream')
      .send({ query: 'one too many' });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    controller.abort();
    await Promise.all(open);
  });
});

describe('graceful shutdown', () => {
  it('refuses new streams, lets running ones finish within the grace, then ends the rest', async () => {
    const service = await startApp({ DEMO_TOKEN_DELAY_MS: '100', SHUTDOWN_GRACE_MS: '300' });
    const streamUrl = `${service.url}/api/chat/stream`;
    const running = readStream(streamUrl, { body: { query: 'long answer' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const shutdown = gracefulShutdown(service.app, service.config);
    const refused = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'too late' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(503);
    const result = await running;
    await shutdown;
    expect(dataOf(result, 'error')).toEqual([
      { code: 'shutting_down', message: expect.any(String) as string, retryable: true },
    ]);
    expect(endReason(result)).toBe('shutdown');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    // The grace period was honoured: tokens kept flowing after the shutdown began.
    expect(result.endedAt).toBeGreaterThan(400);
  });
});
