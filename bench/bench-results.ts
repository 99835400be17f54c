import { RELAY } from './relays';
import type { CancelResult } from './scenarios/cancel';
import type { ConcurrencyResult } from './scenarios/concurrency';
import type { LatencyResult } from './scenarios/latency';
import type { ResumeResult } from './scenarios/resume';
import type { SingleRequestResult } from './scenarios/single-request';
import type { ThroughputResult } from './scenarios/throughput';
import type { PreviousFigure } from './support/previous-figure';
import type { LoadDuringRun } from './support/system-load';

export interface RelayResult {
  /** Absent in results from before relays had keys. */
  key?: string;
  name: string;
  ours: boolean;
  throughput: ThroughputResult;
  latency: LatencyResult;
  concurrency?: ConcurrencyResult;
}

/** What `npm run bench` writes to bench/results/latest.json, and the report renders. */
export interface BenchResults {
  when: string;
  mode: 'quick' | 'full';
  /** The commit measured (`+changes`: src/ had uncommitted changes). */
  commit?: string;
  pinned: boolean;
  /** What else the machine was doing: load averages around the run. */
  load?: LoadDuringRun;
  /** The fast path's figure from the previous full run, which this run must not exceed. */
  previousFastPath?: PreviousFigure;
  /** Runs the fake LangSmith received from the traced relay during the throughput passes. */
  tracedRuns?: number;
  plan: Record<string, number>;
  directLatency: LatencyResult;
  relays: RelayResult[];
  gateway: {
    latencyThroughNginx?: LatencyResult;
    cancelSameInstance?: CancelResult;
    cancelCrossInstance?: CancelResult;
    resumeMemory?: ResumeResult;
    resumeRedis?: ResumeResult;
    singleDemo?: SingleRequestResult;
    singleFakeUpstream?: SingleRequestResult;
  };
}

/** Results from before relays had keys named them so. */
const OLD_NAMES: Record<string, string> = {
  [RELAY.openaiSdk]: 'Express + openai SDK',
  [RELAY.fastPath]: 'this service, log in memory',
  [RELAY.fastPathRedis]: 'this service, log in Redis',
};

export function relayByKey(results: BenchResults, key: string): RelayResult | undefined {
  return (
    results.relays.find((relay) => relay.key === key) ??
    results.relays.find((relay) => relay.key === undefined && relay.name === OLD_NAMES[key])
  );
}

/** CPU µs per token of relay `key`, NaN when it was not measured. */
export function cpuPerToken(results: BenchResults, key: string): number {
  return relayByKey(results, key)?.throughput.cpuMicrosPerToken ?? Number.NaN;
}
