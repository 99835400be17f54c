import { expectRetryableRefusal } from './support/burst';
import { activeStreams, waitUntil } from './support/gateway-probes';
import { LimitHarness, type LogMode } from './support/limit-harness';
import { postThenHangUp } from './support/post-then-hang-up';
import { endReason, readStream } from './support/sse-client';

/** Leave 0-5 ms after sending: while the stream is being set up (the log write). */
const EARLY = 100;
/** Leave 300-1250 ms after sending: once the upstream call is under way, whose abort we see. */
const LATER = 20;
const CLIENTS = EARLY + LATER;
const hangUpDelay = (index: number): number =>
  index < EARLY ? index % 6 : 300 + (index - EARLY) * 50;
/** ~10 s of answer: a generation nobody cancels is still running long after the checks below. */
const LONG_ANSWER = { tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), delayMs: 100 };
/** Generous for a loaded machine, yet far below the 10 s a generation that runs on would take. */
const PROMPT_MS = 2_000;

/**
 * Clients that leave while their stream is being set up. Before c2c2013 the hang-up listener was
 * attached only after the log write (a Redis round trip), so such a client was never noticed:
 * its whole generation ran and was paid for, and a stream whose events were never read kept its
 * place and its log entry `running`.
 */
describe.each<LogMode>(['memory', 'redis'])(
  'clients that hang up during the start (%s log)',
  (mode) => {
    const h = new LimitHarness();
    const prompt = (index: number): string => `leave ${index}`;

    beforeAll(async () => {
      await h.start(mode, { MAX_CONCURRENT_STREAMS: String(CLIENTS) });
      // One whole stream first: the provider client loads lazily on its first call, which would
      // otherwise hold back every upstream call of the test past the moment the clients leave.
      const warm = await readStream(`${h.service.url}/api/chat/stream`, {
        body: { query: 'warm' },
      });
      expect(endReason(warm)).toBe('stop');
    }, 30_000);
    afterAll(() => h.stop());
    afterEach(() => h.hangUpAll());

    /** What a client attaching afterwards learns: the end reason, or that the id is unknown. */
    async function outcome(id: string): Promise<string> {
      try {
        const result = await readStream(`${h.service.url}/api/chat/streams/${id}`, {
          method: 'GET',
          signal: AbortSignal.timeout(5_000),
        });
        if (result.status === 404) return 'unknown id';
        if (result.events.at(-1)?.data !== '[DONE]') return 'no [DONE]';
        return endReason(result) ?? 'no end event';
      } catch {
        return 'still running after 5 s';
      }
    }

    it('cancels each one: no generation runs on, every log ends cancelled, no place is kept', async () => {
      const ids = Array.from({ length: CLIENTS }, (_, index) => `leave-${mode}-${index}`);
      for (const [index] of ids.entries()) h.upstream.script(prompt(index), LONG_ANSWER);
      const leftAt = await Promise.all(
        ids.map((id, index) =>
          postThenHangUp({
            port: h.service.port,
            path: '/api/chat/stream',
            body: { query: prompt(index) },
            headers: { 'X-Request-Id': id },
            hangUpAfterMs: hangUpDelay(index),
          }),
        ),
      );

      const running = await waitUntil(
        'no stream running',
        async () => (await activeStreams(h.service.url)) === 0,
        PROMPT_MS,
      ).then(
        () => 0,
        () => activeStreams(h.service.url),
      );
      const calls = ids.flatMap((_, index) =>
        h.upstream.requestsFor(prompt(index)).map((call) => ({ index, call })),
      );
      const runOn = calls.filter(({ index, call }) => {
        return (call.abortedAt ?? Infinity) - leftAt[index] > PROMPT_MS;
      });
      expect({
        upstreamCallsNotAbortedPromptly: runOn.length,
        streamsStillRunning: running,
      }).toEqual({ upstreamCallsNotAbortedPromptly: 0, streamsStillRunning: 0 });
      // The later clients did get as far as an upstream call: its abort is what was checked.
      expect(calls.length).toBeGreaterThanOrEqual(LATER / 2);

      // Each stream that began has `start` and `end: cancelled` in its log; an id the server
      // never saw whole (the client left mid-request) is simply unknown.
      const outcomes = await Promise.all(ids.map(outcome));
      const unexpected = outcomes.filter((seen) => seen !== 'cancelled' && seen !== 'unknown id');
      expect(unexpected).toEqual([]);
      expect(outcomes.filter((seen) => seen === 'cancelled').length).toBeGreaterThan(CLIENTS / 2);

      // Every place is free again: a new burst gets all of them.
      h.upstream.script('after', LONG_ANSWER);
      const after = await h.burst('after', { count: CLIENTS + 10 });
      expect(after.admitted.length).toBe(CLIENTS);
      for (const answer of after.refused) expectRetryableRefusal(answer, 503);
      await h.cancelAll(after.admitted);
    }, 90_000);
  },
);
