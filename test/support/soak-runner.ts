import { attachAfterwards, playClient } from './soak-client';
import type { StreamPlan } from './soak-plan';
import { judgeStream, type SoakOutcome, type UpstreamFate } from './soak-verdict';
import type { UpstreamIndex } from './upstream-index';

export interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakReport {
  streams: number;
  concurrency: number;
  outcomes: Partial<Record<SoakOutcome, number>>;
  /** What became of the upstream requests of streams that were cut short (hang-up, DELETE). */
  cutShortUpstream: Partial<Record<UpstreamFate, number>>;
  /** Every problem found, one line each, naming the stream. */
  problems: string[];
  /** To the upstream socket closing, where it was aborted: from the hang-up; from the 202. */
  abortLatencyMs: { hangUp: LatencyFigures; cancel: LatencyFigures };
  durationMs: number;
}

export interface SoakOptions {
  baseUrl: string;
  plans: StreamPlan[];
  concurrency: number;
  upstream: UpstreamIndex;
  abortBoundMs: number;
}

/** Plays every plan, `concurrency` at a time, and judges each stream as soon as it is over. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const outcomes: SoakReport['outcomes'] = {};
  const cutShortUpstream: SoakReport['cutShortUpstream'] = {};
  const problems: string[] = [];
  const latencies = { hangup: [] as number[], delete: [] as number[] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.plans.length) {
      const plan = options.plans[next++];
      const view = await playClient(options.baseUrl, plan);
      const log = await attachAfterwards(options.baseUrl, plan.requestId);
      const verdict = await judgeStream({
        plan,
        view,
        log,
        upstream: options.upstream.find(plan.requestId),
        abortBoundMs: options.abortBoundMs,
      });
      outcomes[verdict.outcome] = (outcomes[verdict.outcome] ?? 0) + 1;
      problems.push(...verdict.problems);
      if (verdict.outcome === 'hung up, cancelled' || verdict.outcome === 'deleted') {
        cutShortUpstream[verdict.upstream] = (cutShortUpstream[verdict.upstream] ?? 0) + 1;
      }
      if (verdict.abortLatencyMs !== undefined && plan.action.kind !== 'complete') {
        latencies[plan.action.kind].push(verdict.abortLatencyMs);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    streams: options.plans.length,
    concurrency: options.concurrency,
    outcomes,
    cutShortUpstream,
    problems,
    abortLatencyMs: { hangUp: summarise(latencies.hangup), cancel: summarise(latencies.delete) },
    durationMs: Math.round(performance.now() - started),
  };
}

function summarise(values: number[]): LatencyFigures {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
