import { runStream, type StreamTiming } from '../support/load-client';
import { processRssBytes } from '../support/proc-cpu';
import { redisCost, redisSnapshot, type RedisCost } from '../support/redis-info';
import type { HeapReport, RunningRelay } from '../support/relay-process';
import { streamRequest } from '../support/relay-request';
import { percentile, round } from '../support/stats';
import { OPEN_STREAMS_PROMPT, WARM_PROMPT } from '../support/upstream-prompts';
import { waitUntilIdle } from '../support/wait-until-idle';

export interface OpenStreamsOptions {
  streams: number;
  /** Tokens per stream, `gapMs` apart (the fake upstream child is scripted with both). */
  tokens: number;
  gapMs: number;
  /** How many streams are opened per second. */
  perSecond: number;
  /** The Redis the relay logs to, to read what the open streams cost it. */
  redisUrl?: string;
}

export interface ConcurrencyResult {
  openStreams: number;
  /** Streams that got every token. */
  completed: number;
  /** Streams whose connection failed (reset, refused). */
  failed: number;
  /** Streams open (headers in, not ended) at the plateau, when memory was read. */
  openAtPlateau?: number;
  /** How long opening them all took (as fast as the relay accepted them). */
  openedInMs?: number;
  /** The forced GC at the plateau, as the harness saw it (lags spanning it are left out). */
  forcedGcMs?: number;
  /** The first few failures' messages, to tell a relay's limit from the load generator's. */
  failures?: string[];
  interTokenLagP50Ms: number;
  interTokenLagP99Ms: number;
  /** RSS at the plateau (before the forced GC) minus at idle, per stream. */
  rssPerStreamKb: number;
  /** Heap after a forced GC at the plateau minus after one at idle, per open stream. */
  heapPerStreamKb?: number;
  /** The same for memory outside the JS heap (`external`, which includes `arrayBuffers`). */
  externalPerStreamKb?: number;
  /** RSS read by the heap probe, plateau minus idle, per stream (after the GC). */
  rssAfterGcPerStreamKb?: number;
  heapIdle?: HeapReport;
  heapPlateau?: HeapReport;
  /** Redis: per running stream at the heap phase's plateau, per finished stream after it. */
  redisRunning?: RedisCost;
  redisFinished?: RedisCost;
}

// Opened at a steady rate, in steps every 100 ms. Faster than a relay can start streams (2-3 ms of
// CPU each, beside the tokens of those already open) overflows its accept queue (backlog 511):
// dropped handshakes, resets, and lag that measures the kernel. Headers cannot pace it: most relays
// send them with the first token.
const STEP_PAUSE_MS = 100;

/** Streams with headers and not yet ended: what is really open at the plateau. */
interface Live {
  open: number;
}

/** Opens `streams` streams, `perSecond` a second. */
async function open(
  relay: RunningRelay,
  streams: number,
  perSecond: number,
  live: Live,
): Promise<Promise<StreamTiming>[]> {
  const step = Math.max(1, Math.round((perSecond * STEP_PAUSE_MS) / 1000));
  const pending: Promise<StreamTiming>[] = [];
  for (let opened = 0; opened < streams; opened += step) {
    for (let index = opened; index < Math.min(streams, opened + step); index++) {
      let counted = false;
      const stream = runStream({
        ...streamRequest(relay, OPEN_STREAMS_PROMPT),
        recordTimes: true,
        timeoutMs: 300_000,
        onHeaders: () => {
          counted = true;
          live.open++;
        },
      });
      const ended = (): void => {
        if (counted) live.open--;
        counted = false;
      };
      // Failures are counted once all have settled; until then a rejection is not unhandled.
      stream.then(ended, ended);
      pending.push(stream);
    }
    await new Promise((resolve) => setTimeout(resolve, STEP_PAUSE_MS));
  }
  return pending;
}

function fulfilled(settled: PromiseSettledResult<StreamTiming>[]): StreamTiming[] {
  return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}

function failureMessages(settled: PromiseSettledResult<StreamTiming>[]): string[] | undefined {
  const counts = new Map<string, number>();
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') continue;
    const reason: unknown = outcome.reason;
    const message = reason instanceof Error ? reason.message : String(reason);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return counts.size === 0 ? undefined : [...counts].map(([message, n]) => `${n}× ${message}`);
}

const kb = (bytes: number, streams: number): number => round(bytes / streams / 1024);

/**
 * Scenario 3, on a fresh relay started with the heap probe. Warm-up (200 short streams), a forced
 * GC at idle, then `streams` streams of `tokens` tokens `gapMs` apart, opened as fast as the
 * relay takes them; at the plateau RSS, then a forced GC (heap per open stream); then every
 * stream to its end. The GC stalls the relay, so inter-token lags spanning it are left out.
 */
export async function measureConcurrency(
  relay: RunningRelay,
  options: OpenStreamsOptions,
): Promise<ConcurrencyResult> {
  const { streams, tokens, gapMs } = options;
  const warm = await Promise.all(
    Array.from({ length: 200 }, () => runStream(streamRequest(relay, WARM_PROMPT))),
  );
  if (warm.some((stream) => stream.tokens !== 2)) {
    throw new Error(`${relay.spec.name}: warm-up failed`);
  }
  await waitUntilIdle(relay.pid);
  const heapIdle = await relay.heap();
  const rssBefore = processRssBytes(relay.pid);
  const redisIdle = options.redisUrl ? await redisSnapshot(options.redisUrl) : undefined;

  const opening = performance.now();
  const live: Live = { open: 0 };
  const pending = await open(relay, streams, options.perSecond, live);
  const openedMs = performance.now() - opening;
  // All open and mid-stream: the plateau.
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  const rssPeak = processRssBytes(relay.pid);
  const openAtPlateau = live.open;
  const gcFrom = performance.now();
  const heapPlateau = await relay.heap();
  const gcTo = performance.now();
  const redisPlateau = options.redisUrl ? await redisSnapshot(options.redisUrl) : undefined;
  const settled = await Promise.allSettled(pending);
  const results = fulfilled(settled);
  const lags: number[] = [];
  for (const result of results) {
    for (let index = 1; index < result.tokenTimes.length; index++) {
      const [from, to] = [result.tokenTimes[index - 1], result.tokenTimes[index]];
      if (to >= gcFrom && from <= gcTo) continue;
      lags.push(Math.max(0, to - from - gapMs));
    }
  }
  await waitUntilIdle(relay.pid);
  const result: ConcurrencyResult = {
    openStreams: streams,
    completed: results.filter((stream) => stream.tokens === tokens).length,
    failed: settled.length - results.length,
    failures: failureMessages(settled),
    openedInMs: round(openedMs),
    openAtPlateau,
    interTokenLagP50Ms: round(percentile(lags, 50)),
    interTokenLagP99Ms: round(percentile(lags, 99)),
    rssPerStreamKb: kb(rssPeak - rssBefore, streams),
    heapIdle,
    heapPlateau,
    forcedGcMs: round(gcTo - gcFrom),
    heapPerStreamKb: kb(heapPlateau.heapUsed - heapIdle.heapUsed, streams),
    externalPerStreamKb: kb(heapPlateau.external - heapIdle.external, streams),
    rssAfterGcPerStreamKb: kb(heapPlateau.rss - heapIdle.rss, streams),
  };
  if (options.redisUrl && redisIdle && redisPlateau) {
    const redisDone = await redisSnapshot(options.redisUrl);
    // Mid-stream: a few of each stream's tokens written, so no per-token figure.
    result.redisRunning = redisCost(redisIdle, redisPlateau, streams);
    result.redisFinished = redisCost(redisIdle, redisDone, streams, streams * tokens);
  }
  return result;
}
