import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream } from '../support/load-client';
import { percentile, round } from '../support/stats';

export interface ResumeResult {
  p50: number;
  p99: number;
}

const PROMPT = 'thousand';

export function scriptResume(upstream: FakeOpenAIServer): void {
  upstream.script(PROMPT, { tokens: Array.from({ length: 1000 }, (_, index) => `t${index} `) });
}

/** Scenario 5: replaying a finished 1,000-event stream from the start, `runs` times. */
export async function measureResume(baseUrl: string, runs: number): Promise<ResumeResult> {
  const id = `bench-replay-${Date.now()}`;
  await runStream({
    url: `${baseUrl}/api/chat/stream`,
    body: { query: PROMPT },
    headers: { 'x-request-id': id },
  });
  const samples: number[] = [];
  for (let run = 0; run < runs + 5; run++) {
    const result = await runStream({ url: `${baseUrl}/api/chat/streams/${id}`, method: 'GET' });
    if (result.tokens !== 1000) throw new Error(`replayed ${result.tokens} tokens`);
    if (run >= 5) samples.push(result.endedMs);
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
}
