/**
 * `npm run bench` (full, about 30 min on an idle machine) / `npm run bench:quick` (5 min).
 * Relays under test run one at a time on core 1; the fake upstream, the fake LangSmith and this
 * load generator run on core 0. Results: bench/results/latest.json, bench/README.md,
 * bench/results/*.svg.
 * BENCH_BASELINE_DIR=<dir> (and BENCH_BASELINE_LABEL=<text>) adds an older build of this service
 * (`<dir>/dist/main.js`, e.g. a git worktree) to the same passes, to compare under one load.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FakeLangSmithServer } from '../test/support/fake-langsmith-server';
import { FakeOpenAIServer } from '../test/support/fake-openai-server';
import { freePort } from '../test/support/nginx';
import { RedisServer } from '../test/support/redis-server';
import type { RedisCosts, RelayResult } from './bench-results';
import { measureRelayExtras, measureSingleRequests, type ExtrasContext } from './gateway-extras';
import { benchRelays, RELAY, type RelayPlanOptions } from './relays';
import { writeReport } from './report';
import { scriptAgentThroughput } from './scenarios/agent-throughput';
import { scriptCancel } from './scenarios/cancel';
import { measureConcurrency } from './scenarios/concurrency';
import { directLatency, relayLatency, scriptLatency } from './scenarios/latency';
import { scriptResume } from './scenarios/resume';
import { measureSetup, scriptSetup, SETUP_TOKENS, type SetupResult } from './scenarios/setup';
import {
  measureThroughput,
  scriptThroughput,
  warmUp,
  type ThroughputResult,
} from './scenarios/throughput';
import { currentCommit, previousFastPathFigure } from './support/previous-figure';
import { redisCost, redisSnapshot, type RedisCost } from './support/redis-info';
import {
  hasTaskset,
  HEAP_PROBE_ARGS,
  pinSelfToCore0,
  startRelay,
  type RunningRelay,
} from './support/relay-process';
import { watchLoad } from './support/system-load';
import { startUpstreamProcess } from './support/upstream-process';

const quick = process.argv.includes('--quick');
const plan = quick
  ? {
      streams: 200,
      tokens: 50,
      gapMs: 10,
      rounds: 2,
      setupStreams: 500,
      setupConcurrency: 20,
      latencyRuns: 30,
      open: 1_000,
      slowTokens: 12,
      openGapMs: 1_000,
      openPerSecond: 150,
      cancelRuns: 30,
      resumeRuns: 30,
    }
  : {
      streams: 500,
      tokens: 100,
      gapMs: 10,
      // One measured load of 50,000 tokens per shape and pass: 5 s of CPU or more per relay, so
      // the 10 ms clock tick is 0.2 % of it; three passes give the median.
      rounds: 1,
      setupStreams: 2_000,
      setupConcurrency: 20,
      latencyRuns: 100,
      // The machine's hard limit is 20,000 descriptors and a relay holds two per stream; the load
      // generator (here) and the fake upstream (its own process) hold one each.
      open: 9_000,
      // A token every 3 s: 3,000 tokens a second at 9,000 streams, about a third of the relay's
      // core at ~100 µs a token (a token a second would saturate it, and measure only that).
      // Opened 150 a second (60 s): faster, starting streams and their tokens together overran
      // the gateway's core and its accept queue reset connections. 25 tokens (75 s): the first
      // streams are still open when the last have opened.
      slowTokens: 25,
      openGapMs: 3_000,
      openPerSecond: 150,
      cancelRuns: 100,
      resumeRuns: 100,
    };

// Quick runs measure once; full runs take the median of three round-robin passes.
const REPEATS = quick ? 1 : 3;

function median<T>(samples: T[], value: (sample: T) => number): T {
  const sorted = [...samples].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor(sorted.length / 2)];
}

function medianThroughput(samples: ThroughputResult[]): ThroughputResult {
  return {
    ...median(samples, (x) => x.cpuMicrosPerToken),
    samples: samples.map((x) => x.cpuMicrosPerToken),
  };
}

function medianSetup(samples: SetupResult[]): SetupResult {
  return {
    ...median(samples, (x) => x.cpuMicrosPerStream),
    samples: samples.map((x) => x.cpuMicrosPerStream),
  };
}

interface PassSamples {
  ramped: ThroughputResult[];
  burst: ThroughputResult[];
  setup: SetupResult[];
}

interface PassResults {
  ramped: ThroughputResult;
  burst: ThroughputResult;
  setup: SetupResult;
}

/** Runs `measure`; with a Redis URL, also what Redis did meanwhile. */
async function withRedis<T>(
  redisUrl: string | undefined,
  measure: () => Promise<T>,
  counts: (result: T) => { streams: number; tokens: number },
): Promise<[T, RedisCost | undefined]> {
  if (!redisUrl) return [await measure(), undefined];
  const before = await redisSnapshot(redisUrl);
  const result = await measure();
  const after = await redisSnapshot(redisUrl);
  const { streams, tokens } = counts(result);
  return [result, redisCost(before, after, streams, tokens)];
}

/**
 * REPEATS passes over every relay, median per relay: no relay gets a luckier minute. Each pass
 * and relay: a full-size ramped warm-up, the ramped load, the burst, the 2-token streams.
 */
async function roundRobin(
  running: RunningRelay[],
  redisUrl: string,
  redis: RedisCosts,
): Promise<Map<RunningRelay, PassResults>> {
  const samples = new Map<RunningRelay, PassSamples>(
    running.map((relay) => [relay, { ramped: [], burst: [], setup: [] }]),
  );
  const tokens = (result: ThroughputResult): { streams: number; tokens: number } => ({
    streams: result.tokens / plan.tokens,
    tokens: result.tokens,
  });
  for (let pass = 0; pass < REPEATS; pass++) {
    for (const relay of running) {
      process.stdout.write(`· pass ${pass + 1}/${REPEATS}: ${relay.spec.name}\n`);
      const mine = samples.get(relay) as PassSamples;
      const logsToRedis = relay.spec.key === RELAY.fastPathRedis ? redisUrl : undefined;
      await warmUp(relay, plan);
      const [ramped, rampedRedis] = await withRedis(
        logsToRedis,
        () => measureThroughput(relay, plan, 'ramped'),
        tokens,
      );
      const [burst, burstRedis] = await withRedis(
        logsToRedis,
        () => measureThroughput(relay, plan, 'burst'),
        tokens,
      );
      const [setup, setupRedis] = await withRedis(
        logsToRedis,
        () => measureSetup(relay, plan),
        // The setup's warm-up streams ran inside the Redis reading too.
        (result) => {
          const streams = result.streams + result.warmUpStreams;
          return { streams, tokens: streams * SETUP_TOKENS };
        },
      );
      mine.ramped.push(ramped);
      mine.burst.push(burst);
      mine.setup.push(setup);
      if (logsToRedis)
        Object.assign(redis, { ramped: rampedRedis, burst: burstRedis, setup: setupRedis });
    }
  }
  return new Map(
    running.map((relay) => {
      const mine = samples.get(relay) as PassSamples;
      return [
        relay,
        {
          ramped: medianThroughput(mine.ramped),
          burst: medianThroughput(mine.burst),
          setup: medianSetup(mine.setup),
        },
      ];
    }),
  );
}

/**
 * Many open streams on fresh relays (the openai-SDK relay, both logs), started with the heap
 * probe, against a fake upstream in its own process: the descriptors of 9,000 streams do not fit
 * in one process with the load generator's.
 */
async function openStreams(
  options: RelayPlanOptions,
  results: RelayResult[],
  redis: RedisCosts,
): Promise<void> {
  const upstream = await startUpstreamProcess(plan.slowTokens, plan.openGapMs);
  try {
    const specs = benchRelays({ ...options, upstreamUrl: upstream.url });
    for (const key of [RELAY.openaiSdk, RELAY.fastPath, RELAY.fastPathRedis]) {
      const spec = specs.find((candidate) => candidate.key === key);
      const result = results.find((candidate) => candidate.key === key);
      if (!spec || !result) continue;
      process.stdout.write(`· ${plan.open} open streams: ${spec.name}\n`);
      const relay = await startRelay(
        { ...spec, nodeArgs: HEAP_PROBE_ARGS },
        upstream.url,
        spec.gateway ? await freePort() : 0,
      );
      try {
        result.concurrency = await measureConcurrency(relay, {
          streams: plan.open,
          tokens: plan.slowTokens,
          gapMs: plan.openGapMs,
          perSecond: plan.openPerSecond,
          redisUrl: key === RELAY.fastPathRedis ? options.redisUrl : undefined,
        });
        if (key === RELAY.fastPathRedis) {
          redis.openRunning = result.concurrency.redisRunning;
          redis.openFinished = result.concurrency.redisFinished;
        }
      } finally {
        await relay.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
}

async function main(): Promise<void> {
  pinSelfToCore0();
  const load = watchLoad();
  const resultsDir = join(process.cwd(), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const previousFastPath = previousFastPathFigure(join(resultsDir, 'latest.json'));
  const upstream = new FakeOpenAIServer();
  const upstreamUrl = await upstream.start();
  scriptThroughput(upstream, plan);
  scriptAgentThroughput(upstream, plan);
  scriptSetup(upstream);
  scriptLatency(upstream);
  scriptCancel(upstream);
  scriptResume(upstream);
  const langsmith = new FakeLangSmithServer();
  const langsmithUrl = await langsmith.start();
  const redisServer = await RedisServer.start();
  // From the environment, not argv: `npm run bench -- --x` would hand --x to bash, not node.
  const baselineDir = process.env.BENCH_BASELINE_DIR;
  const relayOptions: RelayPlanOptions = {
    upstreamUrl,
    redisUrl: redisServer.url,
    langsmithUrl,
    baseline: baselineDir
      ? { dir: baselineDir, label: process.env.BENCH_BASELINE_LABEL ?? baselineDir }
      : undefined,
  };
  const relays = benchRelays(relayOptions);
  const results: RelayResult[] = [];
  const redis: RedisCosts = {};
  try {
    const direct = await directLatency(upstreamUrl, plan.latencyRuns);
    // All relays up at once (idle ones cost nothing), so throughput can be measured round-robin.
    const running: RunningRelay[] = [];
    for (const spec of relays) {
      running.push(await startRelay(spec, upstreamUrl, spec.gateway ? await freePort() : 0));
    }
    const passes = await roundRobin(running, redisServer.url, redis);
    // The traced relay must really have traced, or its row would be the fast path's in disguise.
    const tracedRuns = langsmith.runs().length;
    if (tracedRuns === 0) throw new Error('the fake LangSmith received no runs');
    const extras: ExtrasContext = { upstream, upstreamUrl, plan, results: {} };
    for (const relay of running) {
      const { spec } = relay;
      process.stdout.write(`· ${spec.name}\n`);
      try {
        const latency = await relayLatency({ relay, runs: plan.latencyRuns });
        const measured = passes.get(relay) as PassResults;
        const result: RelayResult = {
          key: spec.key,
          name: spec.name,
          ours: spec.gateway === true,
          throughput: measured.ramped,
          burst: measured.burst,
          setup: measured.setup,
          latency,
        };
        results.push(result);
        await measureRelayExtras(relay, extras);
      } finally {
        await relay.stop();
      }
    }
    const fastPath = relays.find((spec) => spec.key === RELAY.fastPath);
    if (fastPath) await measureSingleRequests(fastPath, extras, quick);
    // The fake upstream's record of every request is not needed any more; the open streams are.
    upstream.requests.splice(0);
    await openStreams(relayOptions, results, redis);
    await writeReport({
      when: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      commit: currentCommit(),
      pinned: hasTaskset,
      load: load.stop(),
      previousFastPath,
      tracedRuns,
      plan,
      directLatency: direct,
      relays: results,
      redis,
      gateway: extras.results,
    });
  } finally {
    await redisServer.stop();
    await langsmith.close();
    await upstream.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
