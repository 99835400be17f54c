import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream, type StreamRequest } from '../support/load-client';
import type { RunningRelay } from '../support/relay-process';
import { streamRequest } from '../support/relay-request';
import { percentile, round } from '../support/stats';

export interface LatencyResult {
  p50: number;
  p99: number;
}

const PROMPT = 'latency';

export function scriptLatency(upstream: FakeOpenAIServer): void {
  upstream.script(PROMPT, { tokens: ['first ', 'second ', 'third'], delayMs: 5 });
}

/** Time to first token of one stream at a time, `runs` times (after 5 warm-up runs). */
export async function timeToFirstToken(
  request: () => StreamRequest,
  runs: number,
): Promise<LatencyResult> {
  const samples: number[] = [];
  for (let run = 0; run < runs + 5; run++) {
    const result = await runStream(request());
    if (run >= 5) samples.push(result.firstTokenMs);
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
}

/** TTFT through a relay in its own view; `baseUrl` replaces the relay's (e.g. nginx in front). */
export function relayLatency(options: {
  relay: RunningRelay;
  baseUrl?: string;
  runs: number;
}): Promise<LatencyResult> {
  const relay = { ...options.relay, url: options.baseUrl ?? options.relay.url };
  return timeToFirstToken(() => streamRequest(relay, PROMPT), options.runs);
}

/** The same, reading the fake upstream directly: the baseline every relay adds to. */
export function directLatency(upstreamUrl: string, runs: number): Promise<LatencyResult> {
  return timeToFirstToken(
    () => ({
      url: `${upstreamUrl}/chat/completions`,
      body: { model: 'gpt-fake', stream: true, messages: [{ role: 'user', content: PROMPT }] },
    }),
    runs,
  );
}
