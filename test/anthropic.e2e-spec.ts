import { AbortService } from '../src/abort/abort.service';
import { ANTHROPIC_SECRET_DETAIL, FakeAnthropicServer } from './support/fake-anthropic-server';
import { dataOf, endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const API_KEY = 'test-key';
const SLOW = { tokens: Array.from({ length: 100 }, (_, index) => `w${index} `), delayMs: 30 };

interface ErrorEventData {
  code: string;
  message: string;
  retryable: boolean;
}

interface UsageEventData {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/**
 * The real `ChatAnthropic` (and `@anthropic-ai/sdk` under it) against a fake of Anthropic's
 * streaming Messages API, through the real app and socket.
 */
describe('LLM_PROVIDER=anthropic end to end', () => {
  const upstream = new FakeAnthropicServer({ apiKey: API_KEY });
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    service = await startApp({
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: await upstream.start(),
      LLM_MODEL: 'claude-fake-1',
      STREAM_TTL_S: '60',
    });
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('relays one token event per text delta, as the deltas arrive', async () => {
    const tokens = Array.from({ length: 20 }, (_, index) => `t${index} `);
    upstream.script('pace', { tokens, delayMs: 80 });
    const result = await readStream(streamUrl, {
      body: { query: 'pace', system: 'Be brief.', maxTokens: 300, temperature: 0.3 },
    });

    expect(result.status).toBe(200);
    expect(dataOf<{ provider: string; model: string }>(result, 'start')[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-fake-1',
    });
    expect(dataOf<{ content: string }>(result, undefined).map((t) => t.content)).toEqual(tokens);
    const times = tokenTimes(result);
    const first = times[0];
    const last = times.at(-1) ?? 0;
    // ~1.5 s of deltas 80 ms apart: buffering anywhere would bunch them at the end. Delays on
    // a loaded machine only stretch the gaps; the bounds leave room for a slow first request.
    expect(last - first).toBeGreaterThan(800);
    expect(first).toBeLessThan(last * 0.4);
    expect(endReason(result)).toBe('stop');
    expect(result.events.at(-1)?.data).toBe('[DONE]');

    const [request] = upstream.requestsFor('pace');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe(API_KEY);
    expect(request.headers['anthropic-version']).toEqual(expect.any(String));
    expect(request.body).toMatchObject({
      model: 'claude-fake-1',
      max_tokens: 300,
      temperature: 0.3,
      stream: true,
    });
    expect(JSON.stringify(request.body.system)).toContain('Be brief.');
  });

  it('sends usage (input + output tokens) and then end: stop', async () => {
    upstream.script('count me', { tokens: ['a', 'b', 'c', 'd'], inputTokens: 21 });
    const result = await readStream(streamUrl, { body: { query: 'count me' } });

    expect(tokenText(result)).toBe('abcd');
    const named = result.events.filter((e) => e.event !== undefined).map((e) => e.event);
    expect(named).toEqual(['start', 'usage', 'end']);
    // message_delta's output_tokens (4) is Anthropic's cumulative count, not an increment on
    // message_start's provisional 1: summing the two usage chunks gave 5 and 26; the largest
    // count per run is right here and for OpenAI's single usage chunk.
    expect(dataOf<UsageEventData>(result, 'usage')).toEqual([
      { inputTokens: 21, outputTokens: 4, totalTokens: 25 },
    ]);
    expect(endReason(result)).toBe('stop');
  });

  it('ends with reason length when the model stops at max_tokens', async () => {
    upstream.script('too long', { tokens: ['x', 'y'], stopReason: 'max_tokens' });
    const result = await readStream(streamUrl, { body: { query: 'too long', maxTokens: 2 } });

    expect(tokenText(result)).toBe('xy');
    // ChatAnthropic puts message_delta's stop_reason in `additional_kwargs.stop_reason`; reading
    // only the response metadata reported `stop`.
    expect(endReason(result)).toBe('length');
  });

  it.each([
    [429, 'upstream_rate_limited', true],
    [401, 'upstream_auth', false],
    [500, 'upstream_error', true],
    [529, 'upstream_error', true],
  ])(
    'HTTP %i before streaming becomes error %s, without the upstream message',
    async (status, code, retryable) => {
      const prompt = `fail ${status}`;
      upstream.script(prompt, { tokens: ['never'], status });
      const result = await readStream(streamUrl, { body: { query: prompt } });

      expect(result.status).toBe(200);
      expect(dataOf<ErrorEventData>(result, 'error')).toEqual([
        { code, message: expect.any(String) as string, retryable },
      ]);
      expect(endReason(result)).toBe('error');
      expect(tokenText(result)).toBe('');
      expectNoLeak(result);
    },
  );

  it('retries a 500 at most LLM_MAX_RETRIES (default 1) times, and a 401 never', async () => {
    upstream.script('retry 500', { tokens: ['never'], status: 500 });
    upstream.script('retry 401', { tokens: ['never'], status: 401 });
    await readStream(streamUrl, { body: { query: 'retry 500' } });
    await readStream(streamUrl, { body: { query: 'retry 401' } });

    expect(service.config.llm.maxRetries).toBe(1);
    expect(upstream.requestsFor('retry 500')).toHaveLength(2);
    expect(upstream.requestsFor('retry 401')).toHaveLength(1);
  });

  it('an error event mid-stream becomes error + end: error after the tokens so far', async () => {
    upstream.script('overload', { tokens: ['one ', 'two ', 'three'], errorAfter: 2 });
    const result = await readStream(streamUrl, { body: { query: 'overload' } });

    expect(tokenText(result)).toBe('one two ');
    expect(dataOf<ErrorEventData>(result, 'error')).toEqual([
      { code: 'upstream_error', message: expect.any(String) as string, retryable: true },
    ]);
    expect(endReason(result)).toBe('error');
    expect(dataOf<UsageEventData>(result, 'usage')).toEqual([]);
    expectNoLeak(result);
    expect(result.raw).not.toContain('Overloaded');
  });

  it('a socket reset mid-stream becomes error + end: error', async () => {
    upstream.script('reset', { tokens: ['one ', 'two ', 'three'], delayMs: 20, resetAfter: 2 });
    const result = await readStream(streamUrl, { body: { query: 'reset' } });

    expect(tokenText(result)).toBe('one two ');
    expect(dataOf<ErrorEventData>(result, 'error')).toHaveLength(1);
    expect(endReason(result)).toBe('error');
  });

  it('DELETE ends the stream with cancelled, no usage, and closes the upstream request', async () => {
    upstream.script('cancel me', SLOW);
    let deleteSentAt = 0;
    let deleting: Promise<Response> | undefined;
    const result = await readStream(streamUrl, {
      body: { query: 'cancel me' },
      headers: { 'x-request-id': 'anthropic-cancel-1' },
      onEvent: (event) => {
        if (event.id === '5' && deleteSentAt === 0) {
          deleteSentAt = Date.now();
          deleting = fetch(`${service.url}/api/chat/streams/anthropic-cancel-1`, {
            method: 'DELETE',
          });
        }
      },
    });

    expect((await deleting)?.status).toBe(202);
    expectCancelled(result);
    const [request] = upstream.requestsFor('cancel me');
    const abortedAt = await request.aborted;
    expect(abortedAt - deleteSentAt).toBeLessThan(1000);
    expect(request.finished).toBe(false);
  });

  it('a client that hangs up aborts the upstream request; the log ends cancelled', async () => {
    upstream.script('hang up', SLOW);
    const controller = new AbortController();
    let hungUpAt = 0;
    await readStream(streamUrl, {
      body: { query: 'hang up' },
      headers: { 'x-request-id': 'anthropic-hangup-1' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.id !== '3') return false;
        hungUpAt = Date.now();
        controller.abort();
        return true;
      },
    }).catch(() => undefined);

    const [request] = upstream.requestsFor('hang up');
    const abortedAt = await request.aborted;
    expect(hungUpAt).toBeGreaterThan(0);
    expect(abortedAt - hungUpAt).toBeLessThan(1000);
    await waitFor(() => service.app.get(AbortService).runningCount === 0);
    // Nobody was there to read the end; the stream log keeps what a resuming client would get.
    const replay = await readStream(`${service.url}/api/chat/streams/anthropic-hangup-1`, {
      method: 'GET',
    });
    expectCancelled(replay);
  });
});

describe('LLM_PROVIDER=anthropic with a short idle timeout and no retries', () => {
  const upstream = new FakeAnthropicServer({ apiKey: API_KEY });
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    service = await startApp({
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: await upstream.start(),
      STREAM_IDLE_TIMEOUT_MS: '400',
      LLM_MAX_RETRIES: '0',
    });
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('an upstream that stalls mid-stream ends with upstream_timeout + end: timeout', async () => {
    upstream.script('stall', { tokens: ['one ', 'two ', 'three'], stallAfter: 2 });
    const result = await readStream(streamUrl, { body: { query: 'stall' } });

    expect(tokenText(result)).toBe('one two ');
    expect(dataOf<ErrorEventData>(result, 'error').map((error) => error.code)).toEqual([
      'upstream_timeout',
    ]);
    expect(dataOf<UsageEventData>(result, 'usage')).toEqual([]);
    expect(endReason(result)).toBe('timeout');
    const lastToken = tokenTimes(result).at(-1) ?? 0;
    const end = result.events.find((e) => e.event === 'end')?.at ?? 0;
    // Fired by the 400 ms idle timer, not by anything else much later.
    expect(end - lastToken).toBeGreaterThan(300);
    expect(end - lastToken).toBeLessThan(5000);
    await upstream.requestsFor('stall')[0].aborted;
  });

  it('with LLM_MAX_RETRIES=0 a 500 is asked once', async () => {
    upstream.script('once 500', { tokens: ['never'], status: 500 });
    const result = await readStream(streamUrl, { body: { query: 'once 500' } });

    expect(endReason(result)).toBe('error');
    expect(upstream.requestsFor('once 500')).toHaveLength(1);
  });

  it('a wrong API key is refused by the upstream and reported as upstream_auth', async () => {
    const wrongKey = await startApp({
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'not-the-key',
      ANTHROPIC_BASE_URL: service.config.llm.anthropicBaseUrl ?? '',
    });
    try {
      const result = await readStream(`${wrongKey.url}/api/chat/stream`, {
        body: { query: 'wrong key' },
      });
      expect(dataOf<ErrorEventData>(result, 'error').map((error) => error.code)).toEqual([
        'upstream_auth',
      ]);
      expect(upstream.requestsFor('wrong key')[0].headers['x-api-key']).toBe('not-the-key');
    } finally {
      await wrongKey.close();
    }
  });
});

function expectCancelled(result: StreamResult): void {
  expect(endReason(result)).toBe('cancelled');
  expect(result.events.filter((e) => e.event === 'end')).toHaveLength(1);
  expect(dataOf<UsageEventData>(result, 'usage')).toEqual([]);
  expect(dataOf<ErrorEventData>(result, 'error')).toEqual([]);
  expect(result.events.at(-1)?.data).toBe('[DONE]');
  expect(tokenText(result).split(' ').length).toBeLessThan(30);
}

/** When each token event arrived (ms since the request). */
function tokenTimes(result: StreamResult): number[] {
  return result.events
    .filter((event) => event.event === undefined && event.data !== '[DONE]')
    .map((event) => event.at);
}

/** Every upstream error message carries the marker; none of it may reach the client. */
function expectNoLeak(result: StreamResult): void {
  for (const part of ANTHROPIC_SECRET_DETAIL.split(' ')) expect(result.raw).not.toContain(part);
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
