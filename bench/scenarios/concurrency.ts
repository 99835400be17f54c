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
  /** The Redis the relay logs to, to read what the open streams cost it. */
  redisUrl?: string;
}

export interface ConcurrencyResult {
  openStreams: number;
  /** Streams of the lag phase that got every token. */
  completed: number;
  /** Streams whose connection failed (reset, refused), lag phase. */
  failed: number;
  interTokenLagP50Ms: number;
  interTokenLagP99Ms: number;
  /** RSS at the lag phase's plateau minus before it, per stream. */
  rssPerStreamKb: number;
  /** Heap after a forced GC at the plateau minus after one at idle, per open stream. */
  heapPerStreamKb?: number;
  /** The same for memory outside the JS heap (`external`, which includes `arrayBuffers`). */
  externalPerStreamKb?: number;
  /** RSS read by the heap probe, plateau minus idle, per stream (after the GC). */
  rssAfterGcPerStreamKb?: number;
  heapIdle?: HeapReport;
  heapPlateau?: HeapReport;
  /** Streams of the heap phase that got every token. */
  heapPhaseCompleted?: number;
  /** Redis: per running stream at the heap phase's plateau, per finished stream after it. */
  redisRunning?: RedisCost;
  redisFinished?: RedisCost;
}

const BATCH = 200;
const BATCH_PAUSE_MS = 50;

/** Opens `streams` streams in batches of 200 every 50 ms (a listen backlog must not be what is measured). */
async function open(
  relay: RunningRelay,
  streams: number,
  recordTimes: boolean,
): Promise<Promise<StreamTiming>[]> {
  const pending: Promise<StreamTiming>[] = [];
  for (let opened = 0; opened < streams; opened += BATCH) {
    for (let index = opened; index < Math.min(streams, opened + BATCH); index++) {
      pending.push(
        runStream({
          ...streamRequest(relay, OPEN_STREAMS_PROMPT),
          recordTimes,
          timeoutMs: 300_000,
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS));
  }
  return pending;
}

function fulfilled(settled: PromiseSettledResult<StreamTiming>[]): StreamTiming[] {
  return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}

const kb = (bytes: number, streams: number): number => round(bytes / streams / 1024);

/**
 * Scenario 3, on a fresh relay started with the heap probe. Warm-up (200 short streams), then
 * two phases of `streams` streams of `tokens` tokens 1 s apart: the lag phase (inter-token lag,
 * RSS) and the heap phase (a forced GC at idle and at the plateau: heap per open stream). Apart,
 * because a full GC over thousands of streams stalls the relay and would show up as lag.
 */
export async function measureConcurrency(
  relay: RunningRelay,
  options: OpenStreamsOptions,
): Promise<ConcurrencyResult> {
  const { streams, tokens, gapMs } = options;
  const warm = await Promise.all(
    Array.from({ length: 200 }, () => runStream(streamRequest(relay, WARM_PROMPT))),
  );
  if (warm.some((stream) => stream.tokens !== 2))
    throw new Error(`${relay.spec.name}: warm-up failed`);
  await waitUntilIdle(relay.pid);

  const rssBefore = processRssBytes(relay.pid);
  const lagPending = await open(relay, streams, true);
  // All open and mid-stream: sample memory at the plateau.
  await new Promise((resolve) => setTimeout(resolve, gapMs * 2));
  const rssPeak = processRssBytes(relay.pid);
  const lagSettled = await Promise.allSettled(lagPending);
  const lagResults = fulfilled(lagSettled);
  const lags: number[] = [];
  for (const result of lagResults) {
    for (let index = 1; index < result.tokenTimes.length; index++) {
      lags.push(Math.max(0, result.tokenTimes[index] - result.tokenTimes[index - 1] - gapMs));
    }
  }
  const result: ConcurrencyResult = {
    openStreams: streams,
    completed: lagResults.filter((stream) => stream.tokens === tokens).length,
    failed: lagSettled.length - lagResults.length,
    interTokenLagP50Ms: round(percentile(lags, 50)),
    interTokenLagP99Ms: round(percentile(lags, 99)),
    rssPerStreamKb: kb(rssPeak - rssBefore, streams),
  };
  await waitUntilIdle(relay.pid);

  const heapIdle = await relay.heap();
  const redisIdle = options.redisUrl ? await redisSnapshot(options.redisUrl) : undefined;
  const heapPending = await open(relay, streams, false);
  await new Promise((resolve) => setTimeout(resolve, gapMs * 2));
  const heapPlateau = await relay.heap();
  const redisPlateau = options.redisUrl ? await redisSnapshot(options.redisUrl) : undefined;
  const heapResults = fulfilled(await Promise.allSettled(heapPending));
  await waitUntilIdle(relay.pid);
  result.heapIdle = heapIdle;
  result.heapPlateau = heapPlateau;
  result.heapPerStreamKb = kb(heapPlateau.heapUsed - heapIdle.heapUsed, streams);
  result.externalPerStreamKb = kb(heapPlateau.external - heapIdle.external, streams);
  result.rssAfterGcPerStreamKb = kb(heapPlateau.rss - heapIdle.rss, streams);
  result.heapPhaseCompleted = heapResults.filter((stream) => stream.tokens === tokens).length;
  if (options.redisUrl && redisIdle && redisPlateau) {
    const redisDone = await redisSnapshot(options.redisUrl);
    // Mid-stream: a few of each stream's tokens written, so no per-token figure.
    result.redisRunning = redisCost(redisIdle, redisPlateau, streams);
    result.redisFinished = redisCost(redisIdle, redisDone, streams, streams * tokens);
  }
  return result;
}
