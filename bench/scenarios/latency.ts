import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream } from '../support/load-client';
import { percentile, round } from '../support/stats';

export interface LatencyResult {
  p50: number;
  p99: number;
}

const PROMPT = 'latency';

export function scriptLatency(upstream: FakeOpenAIServer): void {
  upstream.script(PROMPT, { tokens: ['first ', 'second ', 'third'], delayMs: 5 });
}

/** Time to first token of one stream at a time, `runs` times. */
export async function timeToFirstToken(options: {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  runs: number;
}): Promise<LatencyResult> {
  const samples: number[] = [];
  for (let run = 0; run < options.runs + 5; run++) {
    const result = await runStream({
      url: options.url,
      method: options.method,
      body: options.body,
    });
    if (run >= 5) samples.push(result.firstTokenMs); // the first few warm up
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
}

/** TTFT through a relay; `bodyExtras` joins the body, e.g. `{ pipeline: 'agent' }`. */
export function relayLatency(options: {
  baseUrl: string;
  runs: number;
  method?: 'GET' | 'POST';
  bodyExtras?: Record<string, unknown>;
}): Promise<LatencyResult> {
  const { baseUrl, method = 'POST' } = options;
  return timeToFirstToken({
    url:
      method === 'GET'
        ? `${baseUrl}/api/chat/stream?query=${PROMPT}`
        : `${baseUrl}/api/chat/stream`,
    method,
    body: method === 'POST' ? { query: PROMPT, ...options.bodyExtras } : undefined,
    runs: options.runs,
  });
}

/** The same, reading the fake upstream directly: the baseline every relay adds to. */
export function directLatency(upstreamUrl: string, runs: number): Promise<LatencyResult> {
  return timeToFirstToken({
    url: `${upstreamUrl}/chat/completions`,
    body: { model: 'gpt-fake', stream: true, messages: [{ role: 'user', content: PROMPT }] },
    runs,
  });
}
