import { StreamLog } from '../src/stream-log/stream-log';
import { startAppProcess, type AppProcess } from './support/app-process';
import { gcOnSignalNodeOptions, measureChildMemory } from './support/child-heap-probe';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { scrapeMetrics } from './support/metrics-scrape';
import { openRawHttpClient, type RawHttpClient } from './support/raw-http-client';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, tokenText } from './support/sse-client';
import { StallWatch } from './support/stall-watch';
import { startApp, type RunningApp } from './support/start-app';
import { sleep, waitFor, within } from './support/wait-for';

/** SLOW_CLIENT_TIMEOUT_MS of the app under test. */
const STALL_TIMEOUT_MS = 2_000;
/** Polls of the log are this far apart at most, and the machine may be busy. */
const SLACK_MS = 400;

/** Large tokens, so the socket buffers of a client that never reads fill in well under a second. */
const bigTokens = (count: number, size = 2_000): string[] =>
  Array.from(
    { length: count },
    (_, index) => `${String(index).padStart(6, '0')}${'x'.repeat(size)}`,
  );

describe.each([
  ['in-memory stream log', false],
  ['Redis stream log', true],
])('a client that stops reading (%s)', (_label, withRedis) => {
  const upstream = new FakeOpenAIServer();
  const clients: RawHttpClient[] = [];
  let redis: RedisServer | undefined;
  let service: RunningApp;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    service = await startApp(
      openAiEnv(await upstream.start(), {
        SLOW_CLIENT_TIMEOUT_MS: String(STALL_TIMEOUT_MS),
        ...(redis ? { REDIS_URL: redis.url } : {}),
      }),
    );
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.socket.destroy();
    await service?.close();
    await redis?.stop();
    await upstream.close();
  });

  const stalledClient = async (requestId: string, body: object): Promise<RawHttpClient> => {
    const client = await openRawHttpClient(service.port, { neverRead: true });
    clients.push(client);
    client.send({
      method: 'POST',
      path: '/api/chat/stream',
      headers: { 'x-request-id': requestId },
      body,
    });
    return client;
  };
  const statusOf = async (requestId: string): Promise<string | undefined> =>
    (await service.app.get(StreamLog).meta(requestId))?.status;
  const attach = (requestId: string, lastEventId: number) =>
    readStream(`${service.url}/api/chat/streams/${requestId}`, {
      method: 'GET',
      headers: { 'last-event-id': String(lastEventId) },
    });

  it('stops pulling from the upstream while the socket is full; after SLOW_CLIENT_TIMEOUT_MS the stream ends cancelled and the upstream socket is closed', async () => {
    // ~40 MB offered at up to ~2 MB/s: the upstream keeps producing through the whole test.
    upstream.script('stall cancel', { tokens: bigTokens(20_000), delayMs: 1 });
    await stalledClient('stall-cancel', { query: 'stall cancel' });
    const watch = new StallWatch(service.app.get(StreamLog), 'stall-cancel');

    const stalled = await watch.untilQuiet({ quietMs: 300, timeoutMs: 15_000 });
    const [request] = upstream.requestsFor('stall cancel');
    // Stalled, not finished: the log stays put while the upstream has more to give.
    await sleep(STALL_TIMEOUT_MS - 300 - SLACK_MS * 2);
    expect((await watch.look()).lastId).toBe(stalled.lastId);
    expect(await statusOf('stall-cancel')).toBe('running');
    expect(request.finished).toBe(false);
    expect(request.abortedAt).toBeUndefined();

    await waitFor(
      'the stalled stream to end',
      async () => (await statusOf('stall-cancel')) === 'finished',
      STALL_TIMEOUT_MS + 5_000,
    );
    const endedAfter = performance.now() - stalled.since;
    expect(endedAfter).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS - SLACK_MS);
    expect(endedAfter).toBeLessThan(STALL_TIMEOUT_MS + 3_000);
    // The upstream HTTP request is closed then, not left running (and paid for) to its end.
    const abortedAt = await within('the upstream socket to close', request.aborted, 1_000);
    const stalledAtWallClock = performance.timeOrigin + stalled.since;
    expect(abortedAt - stalledAtWallClock).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS - SLACK_MS);
    expect(upstream.requestsFor('stall cancel')).toHaveLength(1);

    // What a client that comes back sees: the events after its last one, then the end.
    const rest = await attach('stall-cancel', stalled.lastId - 1);
    const ids = rest.events.flatMap((event) => (event.id === undefined ? [] : [Number(event.id)]));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => stalled.lastId + index));
    // At most a chunk or two the model client had already parsed before the abort.
    expect(ids.length).toBeLessThanOrEqual(4);
    expect(endReason(rest)).toBe('cancelled');
  });

  it('with onDisconnect: continue the generation runs to its end into the log after the timeout, and a reading client resumes it fully', async () => {
    const answer = bigTokens(6_000);
    upstream.script('stall continue', { tokens: answer });
    await stalledClient('stall-continue', { query: 'stall continue', onDisconnect: 'continue' });
    const watch = new StallWatch(service.app.get(StreamLog), 'stall-continue');

    const stalled = await watch.untilQuiet({ quietMs: 300, timeoutMs: 15_000 });
    const [request] = upstream.requestsFor('stall continue');
    expect(stalled.lastId).toBeLessThan(answer.length);
    expect(request.finished).toBe(false);

    await waitFor(
      'the generation to finish',
      async () => (await statusOf('stall-continue')) === 'finished',
      STALL_TIMEOUT_MS + 10_000,
    );
    expect(performance.now() - stalled.since).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS - SLACK_MS);
    expect(request.abortedAt).toBeUndefined();
    expect(request.finished).toBe(true);

    const resumed = await attach('stall-continue', stalled.lastId);
    const ids = resumed.events.flatMap((event) =>
      event.id === undefined ? [] : [Number(event.id)],
    );
    expect(ids[0]).toBe(stalled.lastId + 1);
    expect(ids).toEqual(
      Array.from({ length: ids.length }, (_, index) => stalled.lastId + 1 + index),
    );
    expect(endReason(resumed)).toBe('stop');
    expect(tokenText(await attach('stall-continue', 0))).toBe(answer.join(''));
    expect(upstream.requestsFor('stall continue')).toHaveLength(1);
  });

  it('honours Connection: close (the socket closes right after [DONE]) and keeps a keep-alive socket open', async () => {
    upstream.script('conn close', { tokens: ['a ', 'b ', 'c'], delayMs: 10 });
    const closing = await openRawHttpClient(service.port);
    const keeping = await openRawHttpClient(service.port);
    clients.push(closing, keeping);
    closing.send({
      method: 'POST',
      path: '/api/chat/stream',
      headers: { connection: 'close' },
      body: { query: 'conn close' },
    });
    keeping.send({ method: 'POST', path: '/api/chat/stream', body: { query: 'conn close' } });

    await waitFor(
      '[DONE] on the closing socket',
      () => closing.seenAt('data: [DONE]') !== undefined,
    );
    // Not held open until the keep-alive timeout (65 s by default).
    const closedAt = await within('the server to close the socket', closing.closed, 2_000);
    const doneAt = closing.seenAt('data: [DONE]');
    expect(closing.received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(closedAt - (doneAt ?? 0)).toBeLessThan(300);

    await waitFor(
      '[DONE] on the keep-alive socket',
      () => keeping.seenAt('data: [DONE]') !== undefined,
    );
    expect(keeping.received()).toMatch(/\r\nconnection: keep-alive\r\n/i);
    await sleep(1_000);
    expect(keeping.isClosed()).toBe(false);
    // And it serves the next request on the same connection.
    const before = keeping.received().length;
    keeping.send({ method: 'GET', path: '/health/live' });
    await waitFor('the second response', () =>
      /HTTP\/1\.1 200 /.test(keeping.received().slice(before)),
    );
  });
});

describe('the memory log byte budget (MEMORY_LOG_MAX_BYTES)', () => {
  // Only the in-memory log has a byte budget; Redis bounds itself by STREAM_TTL_S and maxmemory.
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start(), { MEMORY_LOG_MAX_BYTES: '64kb' }));
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('drops the oldest finished streams first: they become 404 while the newest stay attachable', async () => {
    // Each stream logs ~4.2 kB of frames; 40 of them are ~170 kB, well over the 64 kB budget.
    const answer = bigTokens(4, 1_000);
    upstream.script('budget', { tokens: answer });
    const count = 40;
    for (let index = 0; index < count; index++) {
      const result = await readStream(`${service.url}/api/chat/stream`, {
        body: { query: 'budget' },
        headers: { 'x-request-id': `budget-${index}` },
      });
      expect(endReason(result)).toBe('stop');
    }
    const statuses: number[] = [];
    for (let index = 0; index < count; index++) {
      const response = await fetch(`${service.url}/api/chat/streams/budget-${index}`);
      statuses.push(response.status);
      await response.body?.cancel();
    }
    const kept = statuses.filter((status) => status === 200).length;
    // Oldest first: every 404 comes before every 200.
    expect(statuses).toEqual([
      ...Array<number>(count - kept).fill(404),
      ...Array<number>(kept).fill(200),
    ]);
    // 64 kB holds 15 of these streams: at least 10 survive, and at most what fits.
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThanOrEqual(16);
    const newest = await readStream(`${service.url}/api/chat/streams/budget-${count - 1}`, {
      method: 'GET',
    });
    expect(tokenText(newest)).toBe(answer.join(''));
  });

  it('refuses new streams (503 + Retry-After) while running streams alone fill it, and takes them again once those end', async () => {
    // ~150 kB of frames over ~3 s: the one running stream outgrows the 64 kB budget by itself.
    upstream.script('budget running', { tokens: bigTokens(150, 1_000), delayMs: 20 });
    upstream.script('budget small', { tokens: ['ok'] });
    const running = readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'budget running' },
      headers: { 'x-request-id': 'budget-running' },
    });
    // Awaited below; if an assertion fails first, the app's close must not surface as a crash.
    running.catch(() => undefined);
    const log = service.app.get(StreamLog);
    const loggedBytes = async (): Promise<number> =>
      (await log.range('budget-running', -1, 1_000)).reduce((sum, e) => sum + e.data.length, 0);
    await waitFor('the running stream alone to fill the budget', async () => {
      return (await loggedBytes()) > 64 * 1024;
    });
    const refused = await fetch(`${service.url}/api/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'budget small' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(upstream.requestsFor('budget small')).toHaveLength(0);

    expect(endReason(await running)).toBe('stop');
    const accepted = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'budget small' },
    });
    expect(accepted.status).toBe(200);
    expect(tokenText(accepted)).toBe('ok');
  });
});

const MB = 1024 ** 2;
const STALLED_CLIENTS = 50;
/** Token size and count of the burst the upstream writes at once to each of the 50 streams. */
const TOKEN_CHARS = 8_000;
const BURST_TOKENS = 800;
/**
 * What one stalled stream may hold in the gateway besides its logged events: Node's writable
 * high-water mark (16 kB) plus the event that overflowed it (8 kB), the upstream socket's read
 * buffer and the fetch body queue (64 kB each), the SSE line decoder, LangChain and OpenAI client
 * objects. Half a megabyte is several times that.
 */
const PER_STREAM_BYTES = 512 * 1024;
/** What a full GC may still leave over a baseline: code compiled on the way, pools, metrics. */
const NOISE_BYTES = 16 * MB;

describe.each([
  ['in-memory stream log', false],
  ['Redis stream log', true],
])(
  'gateway memory with 50 clients that never read (%s, app in a child process)',
  (label, withRedis) => {
    const upstream = new FakeOpenAIServer();
    const clients: RawHttpClient[] = [];
    let redis: RedisServer | undefined;
    let app: AppProcess;

    beforeAll(async () => {
      redis = withRedis ? await RedisServer.start() : undefined;
      app = await startAppProcess({
        ...openAiEnv(await upstream.start(), {
          // Long enough to see the heap level off on a loaded machine before the streams end.
          SLOW_CLIENT_TIMEOUT_MS: '16000',
          ...(redis ? { REDIS_URL: redis.url } : {}),
        }),
        NODE_OPTIONS: gcOnSignalNodeOptions(),
      });
    }, 30_000);

    afterAll(async () => {
      for (const client of clients) client.socket.destroy();
      await app?.stop();
      await redis?.stop();
      await upstream.close();
    });

    it('stays bounded by what the sockets took (mirrored in the log) plus a small constant per stream, and stops growing while they are stalled', async () => {
      upstream.script('heap warm-up', { tokens: ['a', 'b'] });
      await readStream(`${app.url}/api/chat/stream`, { body: { query: 'heap warm-up' } });
      const baseline = await measureChildMemory(app);
      const warmTokens = (await scrapeMetrics(app.url)).value('gateway_stream_tokens_total') ?? 0;

      // 6.4 MB at once per stream, more than the socket buffers of a client that never reads hold
      // (~4 MB here), then a slow tail, so the upstream is still producing when the streams end.
      const tokens = bigTokens(BURST_TOKENS + 400, TOKEN_CHARS);
      upstream.script('heap stall', { tokens, burst: BURST_TOKENS, delayMs: 50 });
      for (let index = 0; index < STALLED_CLIENTS; index++) {
        const client = await openRawHttpClient(app.port, { neverRead: true });
        clients.push(client);
        client.send({ method: 'POST', path: '/api/chat/stream', body: { query: 'heap stall' } });
      }
      await waitFor(
        'every upstream call',
        () => upstream.requestsFor('heap stall').length === STALLED_CLIENTS,
        20_000,
      );

      // Stalled: three readings 600 ms apart that barely differ (the Redis log drains its write
      // backlog meanwhile, so its heap only falls). One quiet interval is not enough on a loaded
      // machine, where the app may still be filling the last sockets.
      let stalled = await measureChildMemory(app);
      let quietIntervals = 0;
      await waitFor(
        'the heap to level off',
        async () => {
          await sleep(600);
          const next = await measureChildMemory(app);
          const level = next.heapUsedBytes - stalled.heapUsedBytes < 4 * MB;
          stalled = next;
          quietIntervals = level ? quietIntervals + 1 : 0;
          return quietIntervals >= 2;
        },
        12_000,
      );
      await sleep(1_500);
      const later = await measureChildMemory(app);
      expect(later.heapUsedBytes - stalled.heapUsedBytes).toBeLessThan(8 * MB);

      // All 50 end `cancelled` after SLOW_CLIENT_TIMEOUT_MS, and their upstream calls are closed.
      await waitFor(
        'every stalled stream to end',
        async () => {
          const scrape = await scrapeMetrics(app.url);
          return (
            scrape.value('gateway_streams_ended_total', { reason: 'cancelled' }) === STALLED_CLIENTS
          );
        },
        25_000,
      );
      const requests = upstream.requestsFor('heap stall');
      await within(
        'the upstream calls to close',
        Promise.all(requests.map((request) => request.aborted)),
        3_000,
      );
      expect(requests.every((request) => !request.finished)).toBe(true);

      // What the gateway relayed (and logged): every token frame has the same size.
      const relayedTokens =
        ((await scrapeMetrics(app.url)).value('gateway_stream_tokens_total') ?? 0) - warmTokens;
      const frameBytes = `id: 100\ndata: ${JSON.stringify({ content: tokens[100] })}\n\n`.length;
      const relayedBytes = relayedTokens * frameBytes;
      expect(relayedTokens).toBeLessThan(STALLED_CLIENTS * BURST_TOKENS); // the upstream had more
      const bound = 1.1 * relayedBytes + STALLED_CLIENTS * PER_STREAM_BYTES + NOISE_BYTES;
      const grewBy = later.heapUsedBytes - baseline.heapUsedBytes;
      // Streams gone, their buffers freed; the memory log still holds the finished streams (under
      // MEMORY_LOG_MAX_BYTES), the Redis log holds nothing in this process.
      const keptBound = (withRedis ? 0 : 1.1 * relayedBytes) + NOISE_BYTES;
      let after = await measureChildMemory(app);
      await waitFor(
        'the heap to settle after the streams ended',
        async () => {
          after = await measureChildMemory(app);
          return after.heapUsedBytes - baseline.heapUsedBytes < keptBound;
        },
        10_000,
      ).catch(() => undefined);
      process.stdout.write(
        `[slow-client heap, ${label}] baseline heap ${(baseline.heapUsedBytes / MB).toFixed(1)} MB, rss ${(baseline.residentBytes / MB).toFixed(1)} MB; ` +
          `stalled heap ${(later.heapUsedBytes / MB).toFixed(1)} MB (+${(grewBy / MB).toFixed(1)}, bound +${(bound / MB).toFixed(1)}), rss ${(later.residentBytes / MB).toFixed(1)} MB; ` +
          `relayed ${(relayedBytes / MB).toFixed(1)} MB in ${relayedTokens} tokens (${(relayedBytes / STALLED_CLIENTS / MB).toFixed(2)} MB per client) of ${((STALLED_CLIENTS * tokens.length * frameBytes) / MB).toFixed(0)} MB offered; ` +
          `after the end heap ${(after.heapUsedBytes / MB).toFixed(1)} MB (bound +${(keptBound / MB).toFixed(1)}), rss ${(after.residentBytes / MB).toFixed(1)} MB\n`,
      );
      expect(grewBy).toBeLessThan(bound);
      expect(after.heapUsedBytes - baseline.heapUsedBytes).toBeLessThan(keptBound);
    }, 90_000);
  },
);
