import { runStream } from '../support/load-client';
import { percentile, round } from '../support/stats';

export interface SingleRequestResult {
  /** Status and headers, with the request id: what the client can act on first. */
  timeToFirstByteMs: number;
  timeToFirstTokenMs: number;
  fullAnswerMs: number;
  tokens: number;
}

/** What one user sees for one question: p50 over `runs` sequential requests. */
export async function measureSingleRequest(
  baseUrl: string,
  query: string,
  runs: number,
): Promise<SingleRequestResult> {
  const ttfb: number[] = [];
  const ttft: number[] = [];
  const total: number[] = [];
  let tokens = 0;
  for (let run = 0; run < runs + 2; run++) {
    const result = await runStream({ url: `${baseUrl}/api/chat/stream`, body: { query } });
    if (run < 2) continue; // warm-up
    ttfb.push(result.headersMs);
    ttft.push(result.firstTokenMs);
    total.push(result.endedMs);
    tokens = result.tokens;
  }
  return {
    timeToFirstByteMs: round(percentile(ttfb, 50)),
    timeToFirstTokenMs: round(percentile(ttft, 50)),
    fullAnswerMs: round(percentile(total, 50)),
    tokens,
  };
}
