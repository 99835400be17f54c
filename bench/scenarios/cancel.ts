import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream, sendDelete } from '../support/load-client';
import { percentile, round } from '../support/stats';

export interface CancelResult {
  p50: number;
  p99: number;
}

const PROMPT = 'cancel';

export function scriptCancel(upstream: FakeOpenAIServer): void {
  upstream.script(PROMPT, {
    tokens: Array.from({ length: 200 }, (_, index) => `c${index} `),
    delayMs: 20,
  });
}

/**
 * Scenario 4: from sending DELETE (to `cancelUrl`, which may be another instance) to the fake
 * upstream seeing its socket closed.
 */
export async function measureCancel(options: {
  upstream: FakeOpenAIServer;
  streamUrl: string;
  cancelUrl: string;
  runs: number;
}): Promise<CancelResult> {
  const samples: number[] = [];
  const failures: unknown[] = [];
  for (let run = 0; run < options.runs; run++) {
    const id = `bench-cancel-${Date.now()}-${run}`;
    const before = options.upstream.requests.length;
    let sentAt = 0;
    await runStream({
      url: `${options.streamUrl}/api/chat/stream`,
      body: { query: PROMPT },
      headers: { 'x-request-id': id },
      onFirstToken: () => {
        sentAt = Date.now();
        sendDelete(`${options.cancelUrl}/api/chat/streams/${id}`).then(
          (status) => status === 202 || failures.push(`DELETE answered ${status}`),
          (error: unknown) => failures.push(error),
        );
      },
    });
    const request = options.upstream.requests
      .slice(before)
      .find((r) => r.body.messages.at(-1)?.content === PROMPT);
    if (!request) throw new Error('no upstream request seen');
    samples.push((await request.aborted) - sentAt);
  }
  if (failures.length > 0) throw new Error(`cancel failed: ${String(failures[0])}`);
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
}
