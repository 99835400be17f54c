import { RELAY } from './relays';
import type { CancelResult } from './scenarios/cancel';
import type { ConcurrencyResult } from './scenarios/concurrency';
import type { LatencyResult } from './scenarios/latency';
import type { ResumeResult } from './scenarios/resume';
import type { SetupResult } from './scenarios/setup';
import type { RedisCost } from './support/redis-info';
import type { SingleRequestResult } from './scenarios/single-request';
import type { ThroughputResult } from './scenarios/throughput';
import type { PreviousFigure } from './support/previous-figure';
import type { LoadDuringRun } from './support/system-load';

export interface RelayResult {
  /** Absent in results from before relays had keys. */
  key?: string;
  name: string;
  ours: boolean;
  /** Streams opened in steps (`ramped`): the scenario of earlier runs, hence the field name. */
  throughput: ThroughputResult;
  /** The same streams, all opened at once. */
  burst?: ThroughputResult;
  /** 2-token streams: what a stream's start and end cost. */
  setup?: SetupResult;
  latency: LatencyResult;
  /** Many open streams, measured on a fresh process of the same relay. */
  concurrency?: ConcurrencyResult;
}

/** What Redis did for the Redis-log relay (the last pass's loads; commands hardly vary). */
export interface RedisCosts {
  ramped?: RedisCost;
  burst?: RedisCost;
  setup?: RedisCost;
  /** At the open-streams plateau: per running stream (no per-token figure). */
  openRunning?: RedisCost;
  /** The same streams once finished, kept for STREAM_TTL_S. */
  openFinished?: RedisCost;
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
  redis?: RedisCosts;
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

/** CPU µs per token (ramped) of relay `key`, NaN when it was not measured. */
export function cpuPerToken(results: BenchResults, key: string): number {
  return relayByKey(results, key)?.throughput.cpuMicrosPerToken ?? Number.NaN;
}

/** CPU µs per token with all streams opened at once, NaN when not measured. */
export function burstCpuPerToken(results: BenchResults, key: string): number {
  return relayByKey(results, key)?.burst?.cpuMicrosPerToken ?? Number.NaN;
}

/** CPU µs per 2-token stream, NaN when not measured. */
export function setupCpuPerStream(results: BenchResults, key: string): number {
  return relayByKey(results, key)?.setup?.cpuMicrosPerStream ?? Number.NaN;
}
