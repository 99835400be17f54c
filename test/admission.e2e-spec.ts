import { expectRetryableRefusal } from './support/burst';
import type { FakeScenario } from './support/fake-openai-server';
import { waitUntil } from './support/gateway-probes';
import { endReasonOf, type HeldStream } from './support/held-stream';
import { LimitHarness, type LogMode } from './support/limit-harness';

const LIMIT = 50;
const BATCH = 300;
const words = (count: number): string[] => Array.from({ length: count }, (_, i) => `w${i} `);
/** Runs ~12 s: far longer than counting a burst takes, however loaded the machine. */
const LONG: FakeScenario = { tokens: words(120), delayMs: 100 };
/** Runs ~6 s, then ends by itself. */
const SHORT: FakeScenario = { tokens: words(60), delayMs: 100 };

/**
 * MAX_CONCURRENT_STREAMS under a burst: the check and the reservation must be one step (before
 * c2c2013 a Redis round trip sat between them and 300 parallel starts all got in past a limit of
 * 50), and every way a stream can end must give its place back.
 */
describe.each<LogMode>(['memory', 'redis'])(
  'MAX_CONCURRENT_STREAMS=50, 300 at once (%s log)',
  (mode) => {
    const h = new LimitHarness();

    beforeAll(() => h.start(mode, { MAX_CONCURRENT_STREAMS: String(LIMIT) }), 30_000);
    afterAll(() => h.stop());
    afterEach(() => h.hangUpAll());

    /** Exactly LIMIT of a burst admitted, the rest refused with 503 + Retry-After, unseen upstream. */
    async function expectFull(prompt: string, scenario: FakeScenario): Promise<HeldStream[]> {
      h.upstream.script(prompt, scenario);
      const { admitted, refused } = await h.burst(prompt);
      expect({ admitted: admitted.length, refused: refused.length }).toEqual({
        admitted: LIMIT,
        refused: BATCH - LIMIT,
      });
      for (const answer of refused) expectRetryableRefusal(answer, 503);
      await h.expectUpstreamCalls(prompt, LIMIT);
      return admitted;
    }

    it('admits exactly 50; the rest get 503 + Retry-After; then DELETE ends them', async () => {
      await h.cancelAll(await expectFull('first', LONG));
      await h.settled();
    }, 60_000);

    it('after DELETEs: exactly 50 again; then the clients hang up', async () => {
      const admitted = await expectFull('after-delete', LONG);
      for (const answer of admitted) answer.hangUp();
      await Promise.all(h.upstream.requestsFor('after-delete').map((call) => call.aborted));
      await h.settled();
    }, 60_000);

    it('after hang-ups: exactly 50 again; then they run to their normal end', async () => {
      const admitted = await expectFull('after-hangup', SHORT);
      const reasons = await Promise.all(admitted.map(async (a) => endReasonOf(await a.done)));
      expect(new Set(reasons)).toEqual(new Set(['stop']));
      await h.settled();
    }, 60_000);

    it('after normal ends: exactly 50 again; then 300 starts with their ids get 409', async () => {
      const admitted = await expectFull('after-stop', LONG);
      await h.cancelAll(admitted);
      await h.settled();
      // The log still holds every id of that burst (STREAM_TTL_S): each start passes admission,
      // then the log refuses the id.
      h.upstream.script('reused', LONG);
      const ids = admitted.map((answer) => answer.headers.get('x-request-id') ?? '');
      const reused = await h.burst('reused', { ids });
      expect(reused.admitted.length).toBe(0);
      expect(reused.refused.filter((answer) => answer.status === 409).length).toBeGreaterThan(0);
      for (const answer of reused.refused) expect([409, 503]).toContain(answer.status);
      expect(h.upstream.requestsFor('reused')).toHaveLength(0);
    }, 60_000);

    it('after 409s: exactly 50 again', async () => {
      await h.cancelAll(await expectFull('after-conflict', LONG));
      await h.settled();
    }, 60_000);

    if (mode === 'redis') {
      it('after 503s while Redis was down: exactly 50 again once it is back', async () => {
        await h.redis?.stop();
        h.upstream.script('outage', LONG);
        const during = await h.burst('outage');
        expect(during.admitted.length).toBe(0);
        for (const answer of during.refused) expectRetryableRefusal(answer, 503);
        expect(h.upstream.requestsFor('outage')).toHaveLength(0);
        await h.redis?.restart();
        await waitUntil('ready again', async () => {
          return (await fetch(`${h.service.url}/health/ready`)).status === 200;
        });
        await h.cancelAll(await expectFull('after-outage', LONG));
        await h.settled();
      }, 90_000);
    }
  },
);

/** The memory log's storage refusal: over MEMORY_LOG_MAX_BYTES while the streams holding it run. */
describe('MAX_CONCURRENT_STREAMS=5 and a full memory log (MEMORY_LOG_MAX_BYTES)', () => {
  const h = new LimitHarness();
  const fat = Array.from({ length: 200 }, (_, index) => `${index}`.padEnd(100, '.'));

  beforeAll(() => h.start('memory', { MAX_CONCURRENT_STREAMS: '5', MEMORY_LOG_MAX_BYTES: '8kb' }));
  afterAll(() => h.stop());
  afterEach(() => h.hangUpAll());

  it('starts refused 503 because the log is full hold no place: exactly 5 once it has room', async () => {
    // 100 frames of ~125 bytes at once, then slowly on: the log is over its 8 kB budget.
    h.upstream.script('hog', { tokens: fat, burst: 100, delayMs: 200 });
    const hog = await h.burst('hog', { count: 1 });
    expect(hog.admitted.length).toBe(1);
    await waitUntil('the hog filled the log', () => (hog.admitted[0]?.events.length ?? 0) > 100);
    h.upstream.script('refused', LONG);
    const refused = await h.burst('refused', { count: 20 });
    expect(refused.admitted.length).toBe(0);
    for (const answer of refused.refused) {
      expectRetryableRefusal(answer, 503);
      expect(answer.error).toMatchObject({ message: expect.stringMatching(/storage/i) as string });
    }
    await h.cancelAll(hog.admitted);
    await h.settled();
    h.upstream.script('room', LONG);
    const room = await h.burst('room', { count: 20 });
    expect(room.admitted.length).toBe(5);
    for (const answer of room.refused) expectRetryableRefusal(answer, 503);
    expect(h.upstream.requestsFor('refused')).toHaveLength(0);
    await h.cancelAll(room.admitted);
  }, 60_000);
});

/** MAX_STREAMS_PER_KEY: the same burst from one API key; another key is not held back by it. */
describe.each<LogMode>(['memory', 'redis'])(
  'MAX_STREAMS_PER_KEY=50, 300 at once (%s log)',
  (mode) => {
    const h = new LimitHarness();

    beforeAll(() =>
      h.start(mode, {
        API_KEYS: 'k1,k2',
        MAX_STREAMS_PER_KEY: String(LIMIT),
        RATE_LIMIT_PER_MINUTE: '0',
      }),
    );
    afterAll(() => h.stop());
    afterEach(() => h.hangUpAll());

    it('admits exactly 50 of k1, refuses the rest 429 + Retry-After, and admits k2 meanwhile', async () => {
      h.upstream.script('k1-first', LONG);
      const first = await h.burst('k1-first', { key: 'k1' });
      expect(first.admitted.length).toBe(LIMIT);
      for (const answer of first.refused) expectRetryableRefusal(answer, 429);
      h.upstream.script('k2', LONG);
      const other = await h.burst('k2', { key: 'k2', count: 20 });
      expect(other.admitted.length).toBe(20);
      await h.expectUpstreamCalls('k1-first', LIMIT);
      for (const answer of first.admitted) answer.hangUp();
      await h.cancelAll(other.admitted, 'k2');
      await h.settled();
      // Hung up or cancelled, their places are free again.
      h.upstream.script('k1-again', LONG);
      const again = await h.burst('k1-again', { key: 'k1' });
      expect(again.admitted.length).toBe(LIMIT);
      for (const answer of again.refused) expectRetryableRefusal(answer, 429);
      await h.cancelAll(again.admitted, 'k1');
    }, 90_000);
  },
);
