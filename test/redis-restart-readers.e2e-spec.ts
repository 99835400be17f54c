import { setTimeout as sleep } from 'node:timers/promises';
import { startAppProcess, type AppProcess } from './support/app-process';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { waitUntil } from './support/leak-probe';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { TcpProxy } from './support/tcp-proxy';
import { eventFrames, readResuming, type ResumedRead } from './support/resuming-reader';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';

const READERS_PER_INSTANCE = 3;
/** How long after the stream's end every reader must have its `end` (outage healed by then). */
const CATCH_UP_BOUND_MS = 5_000;

interface OutageRun {
  live: StreamResult;
  readers: { instance: 'A' | 'B'; read: ResumedRead }[];
  replay: StreamResult;
  tokens: string[];
  /** performance.now() when the live client saw `end`: when the stream was over. */
  liveEndedAt: number;
  /** performance.now() when Redis went down, and when it (and A's link to it) was back. */
  outage: { from: number; to: number };
}

describe('Redis restarts while readers are attached on two instances', () => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer;
  /** A reaches Redis through this, so a test can keep A cut off after Redis is back. */
  let linkOfA: TcpProxy;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    linkOfA = new TcpProxy(redis.port);
    const proxied = new URL(await linkOfA.start());
    const env = openAiEnv(await upstream.start(), {
      STREAM_TTL_S: '60',
      STREAM_IDLE_TIMEOUT_MS: '20000',
    });
    [a, b] = await Promise.all([
      startAppProcess({ ...env, REDIS_URL: `redis://127.0.0.1:${proxied.port}` }),
      startAppProcess({ ...env, REDIS_URL: redis.url }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await linkOfA?.close();
    await redis?.stop();
    await upstream.close();
  });

  const ready = async (app: AppProcess): Promise<boolean> =>
    (await fetch(`${app.url}/health/ready`)).status === 200;

  /** A stream on A, a live client on A, attached readers on A and B, and Redis down mid-way. */
  async function streamThroughOutage(options: {
    label: string;
    tokenCount: number;
    delayMs: number;
    outageMs: number;
    /** Redis goes down once the live client has this event. */
    outageAfterId: number;
    /** How much longer than B's, A's link to Redis stays down after Redis is back. */
    lagOfAMs?: number;
  }): Promise<OutageRun> {
    const { label, outageMs } = options;
    const tokens = Array.from({ length: options.tokenCount }, (_, index) => `${label}${index} `);
    upstream.script(label, { tokens, delayMs: options.delayMs });
    const id = `${label}-${Date.now()}`;
    let outage: Promise<void> | undefined;
    const outageTimes = { from: 0, to: 0 };
    const liveStartedAt = performance.now();
    const live = readStream(`${a.url}/api/chat/stream`, {
      body: { query: label },
      headers: { 'x-request-id': id },
      onEvent: (event) => {
        // Once every reader has been following live for a while: Redis goes down.
        if (event.id !== String(options.outageAfterId)) return;
        outage = (async () => {
          outageTimes.from = performance.now();
          linkOfA.setRefusing(true);
          await redis.stop();
          await sleep(outageMs);
          await redis.restart();
          await sleep(options.lagOfAMs ?? 0);
          linkOfA.setRefusing(false);
          outageTimes.to = performance.now();
        })();
      },
    });
    await waitUntil('the upstream was called', () => upstream.requestsFor(label).length === 1);
    const readers = (['A', 'B'] as const).flatMap((instance) =>
      Array.from({ length: READERS_PER_INSTANCE }, async () => ({
        instance,
        read: await readResuming(`${(instance === 'A' ? a : b).url}/api/chat/streams/${id}`, {
          deadlineMs: 30_000,
          retryDelayMs: 100,
        }),
      })),
    );
    const liveResult = await live;
    const readResults = await Promise.all(readers);
    await outage;
    await waitUntil('A and B ready again', async () => (await ready(a)) && (await ready(b)));
    const replay = await readStream(`${b.url}/api/chat/streams/${id}`, { method: 'GET' });
    const liveEnd = liveResult.events.find((event) => event.event === 'end');
    const liveEndedAt = liveStartedAt + (liveEnd?.at ?? Infinity);
    return {
      live: liveResult,
      readers: readResults,
      replay,
      tokens,
      liveEndedAt,
      outage: outageTimes,
    };
  }

  /** Every reader has every event exactly once, with the replay's bytes, ending `stop`. */
  function expectEveryReaderWhole(run: OutageRun): void {
    const { live, replay, tokens } = run;
    expect(endReason(live)).toBe('stop');
    expect(tokenText(live)).toBe(tokens.join(''));
    // The log healed: a full replay after the end is byte for byte what the live client got.
    expect(replay.raw).toBe(live.raw);
    const frames = eventFrames(replay.raw);
    const ids = frames.map((_, index) => String(index));
    for (const { instance, read } of run.readers) {
      const label = `reader on ${instance}`;
      const got = read.events.map((event) => event.id);
      expect([label, got]).toEqual([label, ids]);
      expect([label, read.attempts.flatMap((attempt) => eventFrames(attempt.raw))]).toEqual([
        label,
        frames,
      ]);
      const last = read.attempts.at(-1);
      expect([label, last?.events.at(-1)?.data]).toEqual([label, '[DONE]']);
      for (const attempt of read.attempts.slice(0, -1)) {
        // Closed without [DONE] (or refused while Redis was away), never a false finish.
        expect([label, attempt.events.some((event) => event.data === '[DONE]')]).toEqual([
          label,
          false,
        ]);
        expect([label, attempt.status === 200 || attempt.status >= 500]).toEqual([label, true]);
      }
    }
  }

  /** The stream's own client never noticed: no pause longer than a token gap plus slack. */
  function expectLiveKeptReceiving(run: OutageRun, delayMs: number): void {
    const times = run.live.events.map((event) => event.at);
    const gaps = times.slice(1).map((at, index) => at - times[index]);
    expect(Math.max(...gaps)).toBeLessThan(delayMs + 1_000);
  }

  /**
   * Each reader was attached through the outage (events before it, `end` after it) and had its
   * `end` soon after the live client's: it went on, or resumed, as soon as Redis was back.
   */
  function expectReadersCaughtUp(run: OutageRun): void {
    for (const { instance, read } of run.readers) {
      const first = read.startedAt + (read.events[0]?.at ?? Infinity);
      const end = read.startedAt + (read.events.find((e) => e.event === 'end')?.at ?? Infinity);
      expect([instance, first < run.outage.from, end > run.outage.to]).toEqual([
        instance,
        true,
        true,
      ]);
      expect([instance, end - run.liveEndedAt < CATCH_UP_BOUND_MS]).toEqual([instance, true]);
    }
  }

  it('a restart shorter than the instance lease: every reader gets every event exactly once', async () => {
    const run = await streamThroughOutage({
      label: 'short-outage',
      tokenCount: 80,
      delayMs: 50,
      outageMs: 1_200,
      outageAfterId: 8,
    });
    console.log(`short outage:\n${describeRun(run)}`);
    expectLiveKeptReceiving(run, 50);
    expectEveryReaderWhole(run);
    expectReadersCaughtUp(run);
  }, 60_000);

  it('a restart longer than the instance lease (3 s): every reader still gets the whole stream', async () => {
    const run = await streamThroughOutage({
      label: 'long-outage',
      tokenCount: 60,
      delayMs: 100,
      outageMs: 4_500,
      outageAfterId: 8,
    });
    console.log(`long outage:\n${describeRun(run)}`);
    expectLiveKeptReceiving(run, 100);
    expectEveryReaderWhole(run);
    expectReadersCaughtUp(run);
  }, 60_000);

  // Once Redis has been away longer than the instance lease, A's heartbeat key has lapsed; B is
  // back first and its readers find no key for A. They used to close A's live stream as
  // abandoned at once (A's retried appends were then refused as "equal or smaller" and dropped
  // as if stored). Now A beats the moment it reconnects, and readers close a stream only after
  // its instance stayed missing for a grace period.
  it('a restart longer than the lease, A back 2 s after B: readers still get the whole stream', async () => {
    const run = await streamThroughOutage({
      label: 'staggered',
      tokenCount: 8,
      delayMs: 1_200,
      outageMs: 4_500,
      outageAfterId: 1,
      lagOfAMs: 2_000,
    });
    console.log(`staggered reconnect:\n${describeRun(run)}`);
    expectLiveKeptReceiving(run, 1_200);
    expectEveryReaderWhole(run);
    expectReadersCaughtUp(run);
  }, 60_000);
});

/** One line per reader: each response as status/events, "cut" when closed on it. */
function describeRun(run: OutageRun): string {
  return run.readers
    .map(({ instance, read }) => {
      const end = read.events.find((event) => event.event === 'end');
      const lag = Math.round(read.startedAt + (end?.at ?? NaN) - run.liveEndedAt);
      const answers = read.attempts.map(
        (attempt) => `${attempt.status}/${attempt.events.length}${attempt.cleanEnd ? '' : ' cut'}`,
      );
      const runs: string[] = [];
      for (const answer of answers) {
        const last = runs.at(-1);
        const match = last && /^(.*?)(?: x(\d+))?$/.exec(last);
        if (match && match[1] === answer)
          runs[runs.length - 1] = `${answer} x${Number(match[2] ?? 1) + 1}`;
        else runs.push(answer);
      }
      return `  reader on ${instance}, end +${lag} ms after the live client's: ${runs.join(', ')}`;
    })
    .join('\n');
}
