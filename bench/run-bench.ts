/**
 * `npm run bench` (full, about 20 min on an idle machine) / `npm run bench:quick` (3 min).
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
import type { RelayResult } from './bench-results';
import { measureRelayExtras, measureSingleRequests, type ExtrasContext } from './gateway-extras';
import { benchRelays, RELAY } from './relays';
import { writeReport } from './report';
import { scriptAgentThroughput } from './scenarios/agent-throughput';
import { scriptCancel } from './scenarios/cancel';
import { scriptConcurrency } from './scenarios/concurrency';
import { directLatency, relayLatency, scriptLatency } from './scenarios/latency';
import { scriptResume } from './scenarios/resume';
import { measureThroughput, scriptThroughput, type ThroughputResult } from './scenarios/throughput';
import { currentCommit, previousFastPathFigure } from './support/previous-figure';
import { hasTaskset, pinSelfToCore0, startRelay, type RunningRelay } from './support/relay-process';
import { watchLoad } from './support/system-load';

const quick = process.argv.includes('--quick');
const plan = quick
  ? {
      streams: 200,
      tokens: 50,
      gapMs: 10,
      latencyRuns: 30,
      open: 1_000,
      slowTokens: 5,
      cancelRuns: 30,
      resumeRuns: 30,
    }
  : {
      streams: 500,
      tokens: 100,
      gapMs: 10,
      latencyRuns: 100,
      open: 4_000,
      slowTokens: 8,
      cancelRuns: 100,
      resumeRuns: 100,
    };

// The issue asks for 10,000 open streams. This machine's hard file limit is 20,000 (not raisable
// here) and each stream holds two sockets in the relay and two in this process (client and fake
// upstream); at 9,000 both sides start failing with EMFILE, so the full run stops at 4,000.

// Quick runs measure once; full runs take the median of three round-robin passes.
const REPEATS = quick ? 1 : 3;

function medianThroughput(samples: ThroughputResult[]): ThroughputResult {
  const sorted = [...samples].sort((a, b) => a.cpuMicrosPerToken - b.cpuMicrosPerToken);
  return {
    ...sorted[Math.floor(sorted.length / 2)],
    samples: samples.map((x) => x.cpuMicrosPerToken),
  };
}

/** REPEATS passes over every relay, median per relay: no relay gets a luckier minute. */
async function throughputRoundRobin(
  running: RunningRelay[],
): Promise<Map<RunningRelay, ThroughputResult>> {
  const samples = new Map<RunningRelay, ThroughputResult[]>(running.map((relay) => [relay, []]));
  for (let pass = 0; pass < REPEATS; pass++) {
    for (const relay of running) {
      process.stdout.write(`· throughput ${pass + 1}/${REPEATS}: ${relay.spec.name}\n`);
      samples.get(relay)?.push(await measureThroughput(relay, plan));
    }
  }
  return new Map(running.map((relay) => [relay, medianThroughput(samples.get(relay) ?? [])]));
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
  scriptLatency(upstream);
  scriptConcurrency(upstream, plan.slowTokens);
  scriptCancel(upstream);
  scriptResume(upstream);
  const langsmith = new FakeLangSmithServer();
  const langsmithUrl = await langsmith.start();
  const redis = await RedisServer.start();
  // From the environment, not argv: `npm run bench -- --x` would hand --x to bash, not node.
  const baselineDir = process.env.BENCH_BASELINE_DIR;
  const relays = benchRelays({
    upstreamUrl,
    redisUrl: redis.url,
    langsmithUrl,
    baseline: baselineDir
      ? { dir: baselineDir, label: process.env.BENCH_BASELINE_LABEL ?? baselineDir }
      : undefined,
  });
  const results: RelayResult[] = [];
  try {
    const direct = await directLatency(upstreamUrl, plan.latencyRuns);
    // All relays up at once (idle ones cost nothing), so throughput can be measured round-robin.
    const running: RunningRelay[] = [];
    for (const spec of relays) {
      running.push(await startRelay(spec, upstreamUrl, spec.gateway ? await freePort() : 0));
    }
    const throughput = await throughputRoundRobin(running);
    // The traced relay must really have traced, or its row would be the fast path's in disguise.
    const tracedRuns = langsmith.runs().length;
    if (tracedRuns === 0) throw new Error('the fake LangSmith received no runs');
    const extras: ExtrasContext = { upstream, upstreamUrl, plan, results: {} };
    for (const relay of running) {
      const { spec } = relay;
      process.stdout.write(`· ${spec.name}\n`);
      try {
        const latency = await relayLatency({
          baseUrl: relay.url,
          runs: plan.latencyRuns,
          method: spec.method,
          bodyExtras: spec.bodyExtras,
        });
        const result: RelayResult = {
          key: spec.key,
          name: spec.name,
          ours: spec.gateway === true,
          throughput: throughput.get(relay) as ThroughputResult,
          latency,
        };
        results.push(result);
        await measureRelayExtras(relay, result, extras);
      } finally {
        await relay.stop();
      }
    }
    const fastPath = relays.find((spec) => spec.key === RELAY.fastPath);
    if (fastPath) await measureSingleRequests(fastPath, extras, quick);
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
      gateway: extras.results,
    });
  } finally {
    await redis.stop();
    await langsmith.close();
    await upstream.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
