import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { dataOf, endReason, readStream, tokenText } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

describe('POST /api/chat/stream against a fake OpenAI-compatible upstream', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    const baseUrl = await upstream.start();
    service = await startApp(
      openAiEnv(baseUrl, { STREAM_IDLE_TIMEOUT_MS: '400', HEARTBEAT_MS: '100' }),
    );
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('sends headers at once and each token the moment the upstream makes it', async () => {
    const tokens = Array.from({ length: 20 }, (_, index) => `t${index} `);
    upstream.script('incremental', { tokens, delayMs: 50 });
    const result = await readStream(streamUrl, {
      body: { query: 'incremental' },
      headers: { 'x-request-id': 'incremental-1' },
    });

    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(result.headers.get('x-accel-buffering')).toBe('no');
    expect(result.headers.get('x-request-id')).toBe('incremental-1');
    const tokenEvents = result.events.filter((event) => event.event === undefined && event.id);
    expect(tokenEvents).toHaveLength(20);
    // Headers long before the first token; first token long before the last.
    expect(result.headersAt).toBeLessThan(tokenEvents[0].at - 20);
    expect(tokenEvents[19].at - tokenEvents[0].at).toBeGreaterThan(700);
    // Each token arrives about when the upstream sent it: no batching.
    for (let index = 1; index < tokenEvents.length; index++) {
      expect(tokenEvents[index].at - tokenEvents[index - 1].at).toBeGreaterThan(20);
    }
    expect(tokenText(result)).toBe(tokens.join(''));
  });

  it('frames the whole stream as the contract shows: retry, start, tokens, usage, end, [DONE]', async () => {
    upstream.script('framing', {
      tokens: ['Hel', 'lo'],
      usage: { prompt_tokens: 12, completion_tokens: 2 },
    });
    const result = await readStream(streamUrl, {
      body: { query: 'framing', temperature: 0.3, maxTokens: 50 },
    });

    const requestId = result.headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(result.raw.startsWith('retry: 2000\n\nid: 0\nevent: start\ndata: {')).toBe(true);
    const afterStart = result.raw.slice(result.raw.indexOf('\n\n', 14) + 2);
    expect(afterStart).toBe(
      'id: 1\ndata: {"content":"Hel"}\n\n' +
        'id: 2\ndata: {"content":"lo"}\n\n' +
        'id: 3\nevent: usage\ndata: {"inputTokens":12,"outputTokens":2,"totalTokens":14}\n\n' +
        'id: 4\nevent: end\ndata: {"reason":"stop"}\n\n' +
        'data: [DONE]\n\n',
    );
    const [start] = dataOf<Record<string, string>>(result, 'start');
    expect(start).toEqual({
      requestId,
      model: 'gpt-fake',
      provider: 'openai',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
    });
    const sent = upstream.requestsFor('framing')[0].body;
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(sent.temperature).toBe(0.3);
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(50);
  });

  it('keeps ids contiguous from 0 with [DONE] as the very last line', async () => {
    upstream.script('ids', { tokens: Array.from({ length: 50 }, (_, i) => `${i},`) });
    const result = await readStream(streamUrl, { body: { query: 'ids' } });
    const ids = result.events.filter((event) => event.id !== undefined).map((e) => Number(e.id));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index));
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(result.events.filter((event) => event.event === 'end')).toHaveLength(1);
    expect(result.raw.endsWith('event: end\ndata: {"reason":"stop"}\n\ndata: [DONE]\n\n')).toBe(
      true,
    );
  });

  it('ends with reason length when the model hits maxTokens', async () => {
    upstream.script('length', { tokens: ['a', 'b'], finishReason: 'length' });
    const result = await readStream(streamUrl, { body: { query: 'length', maxTokens: 2 } });
    expect(endReason(result)).toBe('length');
  });

  it.each([
    [500, 'upstream_error', true],
    [503, 'upstream_error', true],
    [429, 'upstream_rate_limited', true],
    [401, 'upstream_auth', false],
    [400, 'upstream_error', false],
  ])('turns an upstream %i into an error event, then end', async (status, code, retryable) => {
    upstream.script(`status-${status}`, { tokens: [], status });
    const result = await readStream(streamUrl, { body: { query: `status-${status}` } });
    expect(result.status).toBe(200);
    expect(result.events.map((event) => event.event)).toEqual(['start', 'error', 'end', undefined]);
    expect(dataOf(result, 'error')).toEqual([
      { code, message: expect.any(String) as string, retryable },
    ]);
    expect(endReason(result)).toBe('error');
    expect(result.raw).not.toMatch(/secret|sk-|stack|at \w+ \(/);
  });

  it('keeps the tokens sent before a connection reset, then sends error and end', async () => {
    upstream.script('reset', {
      tokens: ['one ', 'two ', 'three ', 'four'],
      resetAfter: 2,
      delayMs: 20,
    });
    const result = await readStream(streamUrl, { body: { query: 'reset' } });
    expect(tokenText(result)).toBe('one two ');
    expect(dataOf<{ code: string }>(result, 'error')[0].code).toBe('upstream_error');
    expect(endReason(result)).toBe('error');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
  });

  it('times out an upstream that stalls, closing its socket', async () => {
    upstream.script('stall', { tokens: ['early ', 'never'], stallAfter: 1, delayMs: 10 });
    const result = await readStream(streamUrl, { body: { query: 'stall' } });
    expect(tokenText(result)).toBe('early ');
    const [error] = dataOf<{ code: string; retryable: boolean }>(result, 'error');
    expect(error).toMatchObject({ code: 'upstream_timeout', retryable: true });
    expect(endReason(result)).toBe('timeout');
    const [request] = upstream.requestsFor('stall');
    // The idle timeout (400 ms) is measured from the last chunk, and it aborts the upstream call.
    await expect(request.aborted).resolves.toBeGreaterThan(0);
    const endEvent = result.events.find((event) => event.event === 'end');
    expect(endEvent?.at).toBeGreaterThan(390);
  });

  it('delivers multi-byte UTF-8 split across upstream TCP writes intact', async () => {
    const tokens = ['héllo ', '你好 ', '🙂🚀 ', 'Ωmega ', '\u2028sep'];
    upstream.script('utf8', { tokens, splitMultibyte: true });
    const result = await readStream(streamUrl, { body: { query: 'utf8' } });
    expect(tokenText(result)).toBe(tokens.join(''));
    expect(result.raw).not.toContain('\uFFFD');
  });

  it('JSON-escapes hostile content so it cannot inject events', async () => {
    const tokens = ['\n\ndata: injected\n\n', 'event: end\r\ndata: {"reason":"stop"}\r\n\r\n'];
    upstream.script('hostile', { tokens });
    const result = await readStream(streamUrl, { body: { query: 'hostile' } });
    expect(tokenText(result)).toBe(tokens.join(''));
    expect(result.events.map((event) => event.event)).toEqual([
      'start',
      undefined,
      undefined,
      'usage',
      'end',
      undefined,
    ]);
  });

  it('sends a ": ping" heartbeat while the upstream is slow', async () => {
    upstream.script('slow', { tokens: ['a', 'b'], delayMs: 350 });
    const result = await readStream(streamUrl, { body: { query: 'slow' } });
    expect(result.comments.length).toBeGreaterThanOrEqual(4);
    expect(result.comments.every((comment) => comment.text.trim() === 'ping')).toBe(true);
    expect(result.raw).toContain('\n\n: ping\n\n');
    expect(endReason(result)).toBe('stop');
  });

  it('serves EventSource clients on GET with the same events', async () => {
    upstream.script('over get', { tokens: ['via ', 'GET'] });
    const result = await readStream(`${streamUrl}?query=over%20get&temperature=1&maxTokens=9`, {
      method: 'GET',
    });
    expect(result.status).toBe(200);
    expect(tokenText(result)).toBe('via GET');
    expect(result.events.map((event) => event.event)).toEqual([
      'start',
      undefined,
      undefined,
      'usage',
      'end',
      undefined,
    ]);
    expect(upstream.requestsFor('over get')[0].body.temperature).toBe(1);
  });

  it('streams 200 concurrent requests, each complete and in order', async () => {
    const count = 200;
    for (let index = 0; index < count; index++) {
      upstream.script(`concurrent-${index}`, {
        tokens: Array.from({ length: 10 }, (_, token) => `${index}:${token} `),
        delayMs: 20,
      });
    }
    const results = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        readStream(streamUrl, { body: { query: `concurrent-${index}` } }),
      ),
    );
    results.forEach((result, index) => {
      expect(result.status).toBe(200);
      expect(tokenText(result)).toBe(
        Array.from({ length: 10 }, (_, token) => `${index}:${token} `).join(''),
      );
      expect(endReason(result)).toBe('stop');
      const ids = result.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: 13 }, (_, id) => id));
    });
  });
});
