import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream, type StreamTiming } from '../support/load-client';
import { processRssBytes } from '../support/proc-cpu';
import type { RunningRelay } from '../support/relay-process';
import { percentile, round } from '../support/stats';

export interface ConcurrencyResult {
  openStreams: number;
  rssPerStreamKb: number;
  interTokenLagP99Ms: number;
  interTokenLagP50Ms: number;
  completed: number;
  /** Streams whose connection failed (reset, refused). */
  failed: number;
}

const PROMPT = 'concurrency';
const GAP_MS = 1_000;

export function scriptConcurrency(upstream: FakeOpenAIServer, tokens: number): void {
  upstream.script(PROMPT, {
    tokens: Array.from({ length: tokens }, (_, index) => `slow${index} `),
    delayMs: GAP_MS,
  });
}

/** Scenario 3: ramp to `streams` open streams of 1 token/s; memory per stream and token lag. */
export async function measureConcurrency(
  relay: RunningRelay,
  streams: number,
  tokens: number,
): Promise<ConcurrencyResult> {
  const baseline = processRssBytes(relay.pid);
  const pending: Promise<StreamTiming>[] = [];
  // Small bursts: a listen backlog of 511 must not be what is measured.
  const batch = 200;
  for (let opened = 0; opened < streams; opened += batch) {
    for (let index = opened; index < Math.min(streams, opened + batch); index++) {
      pending.push(
        runStream({
          url: `${relay.url}/api/chat/stream`,
          body: { query: PROMPT },
          recordTimes: true,
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // All open and mid-stream: sample memory at the plateau.
  await new Promise((resolve) => setTimeout(resolve, GAP_MS * 2));
  const peak = processRssBytes(relay.pid);
  const settled = await Promise.allSettled(pending);
  const results = settled.flatMap((outcome) =>
    outcome.status === 'fulfilled' ? [outcome.value] : [],
  );
  const lags: number[] = [];
  for (const result of results) {
    for (let index = 1; index < result.tokenTimes.length; index++) {
      lags.push(Math.max(0, result.tokenTimes[index] - result.tokenTimes[index - 1] - GAP_MS));
    }
  }
  return {
    openStreams: streams,
    rssPerStreamKb: round((peak - baseline) / streams / 1024),
    interTokenLagP50Ms: round(percentile(lags, 50)),
    interTokenLagP99Ms: round(percentile(lags, 99)),
    completed: results.filter((result) => result.tokens === tokens).length,
    failed: settled.length - results.length,
  };
}
