import { AbortService } from '../src/abort/abort.service';
import { MemoryStreamLog } from '../src/stream-log/memory-stream-log';
import { StreamLog } from '../src/stream-log/stream-log';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream, tokenText } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const SLOW = { tokens: Array.from({ length: 100 }, (_, index) => `w${index} `), delayMs: 30 };

describe('cancelling streams by X-Request-Id', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    service = await startApp(
      openAiEnv(await upstream.start(), { STREAM_TTL_S: '2', STREAM_IDLE_TIMEOUT_MS: '2000' }),
    );
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const cancel = (id: string): Promise<Response> =>
    fetch(`${service.url}/api/chat/streams/${id}`, { method: 'DELETE' });

  it('DELETE ends the stream with reason cancelled and closes the upstream socket', async () => {
    upstream.script('cancel me', SLOW);
    let deleteSentAt = 0;
    let deleting: Promise<Response> | undefined;
    const result = await readStream(streamUrl, {
      body: { query: 'cancel me' },
      headers: { 'x-request-id': 'cancel-1' },
      onEvent: (event) => {
        if (event.id === '5' && deleteSentAt === 0) {
          deleteSentAt = Date.now();
          deleting = cancel('cancel-1');
        }
      },
    });

    const deleteResponse = await deleting;
    expect(deleteResponse?.status).toBe(202);
    expect(await deleteResponse?.json()).toEqual({ requestId: 'cancel-1', status: 'cancelling' });
    expect(endReason(result)).toBe('cancelled');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(tokenText(result).split(' ').length).toBeLessThan(20);
    const [request] = upstream.requestsFor('cancel me');
    const abortedAt = await request.aborted;
    expect(abortedAt - deleteSentAt).toBeLessThan(500);
  });

  it('a client that hangs up aborts the upstream call at once (onDisconnect: cancel)', async () => {
    upstream.script('hang up', SLOW);
    const controller = new AbortController();
    let hungUpAt = 0;
    await readStream(streamUrl, {
      body: { query: 'hang up' },
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
    expect(abortedAt - hungUpAt).toBeLessThan(500);
    await waitFor(() => service.app.get(AbortService).runningCount === 0);
  });

  it('with onDisconnect: continue, the generation runs to its end after the client left', async () => {
    upstream.script('keep going', { tokens: ['a ', 'b ', 'c ', 'd ', 'e'], delayMs: 60 });
    const controller = new AbortController();
    await readStream(streamUrl, {
      body: { query: 'keep going', onDisconnect: 'continue' },
      headers: { 'x-request-id': 'continue-1' },
      signal: controller.signal,
      onEvent: (event) => {
        if (event.id !== '1') return false;
        controller.abort();
        return true;
      },
    }).catch(() => undefined);

    const [request] = upstream.requestsFor('keep going');
    await waitFor(() => request.finished);
    expect(request.abortedAt).toBeUndefined();
    // Until it finishes it is still running, so it can still be cancelled by id.
    await waitFor(() => service.app.get(AbortService).runningCount === 0);
    expect((await cancel('continue-1')).status).toBe(409);
  });

  it('answers 404 for an unknown id and 409 {"status":"finished"} for an ended one', async () => {
    expect((await cancel('never-seen')).status).toBe(404);
    const done = await readStream(streamUrl, {
      body: { query: 'quick' },
      headers: { 'x-request-id': 'done-1' },
    });
    expect(endReason(done)).toBe('stop');
    const response = await cancel('done-1');
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ statusCode: 409, status: 'finished' });
  });

  it('refuses a running id (409) and an id reused within STREAM_TTL_S (409), frees it after', async () => {
    upstream.script('long one', SLOW);
    const controller = new AbortController();
    const first = readStream(streamUrl, {
      body: { query: 'long one' },
      headers: { 'x-request-id': 'dup-1' },
      signal: controller.signal,
    }).catch(() => undefined);
    await waitFor(() => upstream.requestsFor('long one').length === 1);

    const duplicate = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'dup-1' },
      body: JSON.stringify({ query: 'long one' }),
    });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect(upstream.requestsFor('long one')).toHaveLength(1);

    expect((await cancel('dup-1')).status).toBe(202);
    await first;
    const reused = await fetch(streamUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'dup-1' },
      body: JSON.stringify({ query: 'long one' }),
    });
    expect(reused.status).toBe(409);

    // STREAM_TTL_S is 2 here: afterwards the id is forgotten and may be used again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await cancel('dup-1')).status).toBe(404);
    const later = await readStream(streamUrl, {
      body: { query: 'quick' },
      headers: { 'x-request-id': 'dup-1' },
    });
    expect(later.status).toBe(200);
  });
});

describe('no leaks', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ DEMO_TOKEN_DELAY_MS: '0', MEMORY_LOG_MAX_STREAMS: '500' });
  });

  afterAll(() => service.close());

  it('leaves no running entry or timer behind after 10,000 streams, cancelled or not', async () => {
    const aborts = service.app.get(AbortService);
    const timersBefore = countTimers();
    const streamUrl = `${service.url}/api/chat/stream`;
    const total = 10_000;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const index = next++;
        const controller = new AbortController();
        await readStream(streamUrl, {
          body: { query: `leak ${index}`, maxTokens: 3 },
          signal: controller.signal,
          onEvent: (event) => {
            // Every tenth client hangs up mid-stream.
            if (index % 10 !== 0 || event.id !== '1') return false;
            controller.abort();
            return true;
          },
        }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await waitFor(() => aborts.runningCount === 0);
    expect(aborts.runningCount).toBe(0);
    expect(service.app.get<StreamLog, MemoryStreamLog>(StreamLog).size).toBeLessThanOrEqual(500);
    // Heartbeat and idle timers are cleared with their stream (keep-alive sockets may hold a few).
    expect(countTimers()).toBeLessThan(timersBefore + 60);
  }, 120_000);
});

function countTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
