import { createParser } from 'eventsource-parser';
import { AbortService } from '../src/abort/abort.service';
import { FakeOpenAIServer, type FakeScenario } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { dataOf, endReason, readStream, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

/**
 * How the real `ChatOpenAI` (@langchain/openai 1.5.8) ends when its signal fires:
 * - with chunks already parsed from the last network read, `_streamResponseChunks` returns at
 *   its next `signal.aborted` check: no error, the loop over the chunks simply ends. The old
 *   ChatService ended such streams with `stop` (the "buffered" tests below fail on it);
 * - with a read in progress, the OpenAI client ends its iterator quietly and ChatOpenAI then
 *   yields the usage chunk it saw, if any, before throwing `Error("AbortError")`. That case
 *   already ended right; its tests keep usage from ever following a cancel or a timeout.
 * The end reason must come from the signal: `cancelled` / `timeout`, never `stop`.
 */
describe('aborts that the provider answers by returning quietly (real ChatOpenAI)', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let streamUrl: string;
  const IDLE_TIMEOUT_MS = 1000;

  /**
   * 16 MB of frames in one TCP write, more than loopback socket buffers hold (a few MB): while
   * the client does not read, the server stops in a backpressure wait. That wait starts at a
   * 512 KB token (small ones never fill the socket), and the small tokens after it arrived in
   * the same network read, so the OpenAI client holds them parsed while the server waits.
   * Then silence.
   */
  const GROUPS = 32;
  const BURST = GROUPS * 31;
  const burstThenStall = (): FakeScenario => ({
    tokens: Array.from({ length: BURST + 1 }, (_, index) =>
      index % 31 === 0 ? `big${index} ${'x'.repeat(512 * 1024)}` : `s${index} `,
    ),
    burst: BURST,
    // The token after the burst never comes.
    stallAfter: BURST,
  });
  /** Everything, usage included, but the closing `[DONE]`: the client is left reading. */
  const allButDone = (): FakeScenario => ({
    tokens: ['a ', 'b ', 'c ', 'd'],
    burst: 4,
    holdDone: true,
    usage: { prompt_tokens: 7, completion_tokens: 4 },
  });

  beforeAll(async () => {
    service = await startApp(
      openAiEnv(await upstream.start(), {
        STREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
        STREAM_TTL_S: '60',
      }),
    );
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const cancel = (id: string): Promise<Response> =>
    fetch(`${service.url}/api/chat/streams/${id}`, { method: 'DELETE' });

  /** Starts a stream and reads nothing of it: the response head only. */
  const openUnread = async (
    prompt: string,
    requestId: string,
    signal?: AbortSignal,
  ): Promise<Response> => {
    const response = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query: prompt }),
      signal,
    });
    expect(response.status).toBe(200);
    return response;
  };

  /**
   * Waits until the upstream sent its burst and the server has had ample time to fill the
   * unread socket and stop in a backpressure wait. A slow machine only shifts where in the
   * burst that is; the cancel still lands mid-burst.
   */
  const settleInBackpressure = async (prompt: string): Promise<void> => {
    await waitFor(() => upstream.requestsFor(prompt).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
  };

  /** What a client attaching after the fact gets: the stream log, ending as the stream did. */
  const replay = async (id: string): Promise<StreamResult> => {
    await waitFor(() => service.app.get(AbortService).runningCount === 0);
    return readStream(`${service.url}/api/chat/streams/${id}`, { method: 'GET' });
  };

  it('the same scenarios without an abort end with usage and stop (control)', async () => {
    upstream.script('control', { ...allButDone(), holdDone: false });
    const result = await readStream(streamUrl, { body: { query: 'control' } });

    expect(dataOf(result, 'usage')).toEqual([{ inputTokens: 7, outputTokens: 4, totalTokens: 11 }]);
    expect(endReason(result)).toBe('stop');
  });

  it('DELETE while parsed chunks are buffered ends cancelled, not stop', async () => {
    upstream.script('delete in burst', burstThenStall());
    const response = await openUnread('delete in burst', 'quiet-delete-burst');
    await settleInBackpressure('delete in burst');

    expect((await cancel('quiet-delete-burst')).status).toBe(202);
    const result = await readEvents(response);
    expectCancelled(result);
    // The cancel landed mid-burst, while chunks were still waiting in the client.
    expect(tokenCount(result)).toBeLessThan(BURST);
    await upstream.requestsFor('delete in burst')[0].aborted;
  });

  it('a client hang-up while parsed chunks are buffered is logged as cancelled', async () => {
    upstream.script('hang up in burst', burstThenStall());
    const controller = new AbortController();
    const response = await openUnread('hang up in burst', 'quiet-hangup-burst', controller.signal);
    await settleInBackpressure('hang up in burst');

    controller.abort();
    // Held until now: an unreachable fetch Response is closed when garbage-collected, which
    // would be a hang-up at a random moment.
    await response.arrayBuffer().catch(() => undefined);
    await upstream.requestsFor('hang up in burst')[0].aborted;
    const logged = await replay('quiet-hangup-burst');
    expectCancelled(logged);
    expect(tokenCount(logged)).toBeLessThan(BURST);
  });

  it('DELETE after the usage chunk was parsed ends cancelled, with no usage', async () => {
    upstream.script('delete before done', allButDone());
    let deleting: Promise<Response> | undefined;
    const result = await readStream(streamUrl, {
      body: { query: 'delete before done' },
      headers: { 'x-request-id': 'quiet-delete-done' },
      onEvent: (event) => {
        // The last token: by now the client has parsed the usage frame and waits for [DONE].
        if (event.id === '4' && deleting === undefined) deleting = cancel('quiet-delete-done');
      },
    });

    expect((await deleting)?.status).toBe(202);
    expectCancelled(result);
    await upstream.requestsFor('delete before done')[0].aborted;
  });

  it('a client hang-up after the usage chunk was parsed is logged as cancelled, with no usage', async () => {
    upstream.script('hang up before done', allButDone());
    const controller = new AbortController();
    await readStream(streamUrl, {
      body: { query: 'hang up before done' },
      headers: { 'x-request-id': 'quiet-hangup-done' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.id !== '4') return false;
        controller.abort();
        return true;
      },
    }).catch(() => undefined);

    await upstream.requestsFor('hang up before done')[0].aborted;
    expectCancelled(await replay('quiet-hangup-done'));
  });

  it('an idle timeout after a burst ends timeout, not stop, with no usage', async () => {
    upstream.script('idle before done', allButDone());
    const result = await readStream(streamUrl, { body: { query: 'idle before done' } });

    expect(tokenCount(result)).toBe(4);
    expect(dataOf<{ code: string }>(result, 'error').map((error) => error.code)).toEqual([
      'upstream_timeout',
    ]);
    expect(dataOf(result, 'usage')).toEqual([]);
    expect(endReason(result)).toBe('timeout');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    await upstream.requestsFor('idle before done')[0].aborted;
  });

  it('an idle timeout after a burst mid-answer ends timeout, not stop', async () => {
    upstream.script('idle after burst', {
      tokens: Array.from({ length: 51 }, (_, index) => `t${index} `),
      burst: 50,
      stallAfter: 50,
    });
    const result = await readStream(streamUrl, { body: { query: 'idle after burst' } });

    expect(tokenCount(result)).toBe(50);
    expect(endReason(result)).toBe('timeout');
    expect(dataOf(result, 'usage')).toEqual([]);
  });
});

function expectCancelled(result: StreamResult): void {
  expect(endReason(result)).toBe('cancelled');
  expect(result.events.filter((event) => event.event === 'end')).toHaveLength(1);
  expect(dataOf(result, 'usage')).toEqual([]);
  expect(dataOf(result, 'error')).toEqual([]);
  expect(result.events.at(-1)?.data).toBe('[DONE]');
}

/** Reads a response to its end with a real SSE parser, in the shape `readStream` returns. */
async function readEvents(response: Response): Promise<StreamResult> {
  const result: StreamResult = {
    status: response.status,
    headers: response.headers,
    headersAt: 0,
    events: [],
    comments: [],
    raw: '',
    endedAt: 0,
  };
  const parser = createParser({
    onEvent: (message) =>
      result.events.push({ id: message.id, event: message.event, data: message.data, at: 0 }),
  });
  const decoder = new TextDecoder();
  const reader = response.body?.getReader();
  for (let read = await reader?.read(); read && !read.done; read = await reader?.read()) {
    parser.feed(decoder.decode(read.value, { stream: true }));
  }
  return result;
}

function tokenCount(result: StreamResult): number {
  return dataOf(result, undefined).length;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
