/**
 * `npm run bench` (full, under 15 min) / `npm run bench:quick` (under 2 min).
 * Relays under test run one at a time on core 1; the fake upstream and this load generator run
 * on core 0. Results: bench/results/latest.json, bench/README.md, bench/results/*.svg.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FakeOpenAIServer } from '../test/support/fake-openai-server';
import { freePort, startNginx } from '../test/support/nginx';
import { openAiEnv } from '../test/support/openai-env';
import { RedisServer } from '../test/support/redis-server';
import { writeReport, type BenchResults, type RelayResult } from './report';
import { measureCancel, scriptCancel } from './scenarios/cancel';
import { measureConcurrency, scriptConcurrency } from './scenarios/concurrency';
import { directLatency, relayLatency, scriptLatency } from './scenarios/latency';
import { measureResume, scriptResume } from './scenarios/resume';
import { measureSingleRequest } from './scenarios/single-request';
import { measureThroughput, scriptThroughput, type ThroughputResult } from './scenarios/throughput';
import {
  hasTaskset,
  pinSelfToCore0,
  startRelay,
  type RelaySpec,
  type RunningRelay,
} from './support/relay-process';

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

const PEERS = 'dist-bench/bench/peers';
// Quick runs measure once; full runs take the median of three round-robin passes.
const REPEATS = process.argv.includes('--quick') ? 1 : 3;

function medianThroughput(samples: ThroughputResult[]): ThroughputResult {
  const sorted = [...samples].sort((a, b) => a.cpuMicrosPerToken - b.cpuMicrosPerToken);
  return {
    ...sorted[Math.floor(sorted.length / 2)],
    samples: samples.map((x) => x.cpuMicrosPerToken),
  };
}

async function main(): Promise<void> {
  pinSelfToCore0();
  mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
  const upstream = new FakeOpenAIServer();
  const upstreamUrl = await upstream.start();
  scriptThroughput(upstream, plan);
  scriptLatency(upstream);
  scriptConcurrency(upstream, plan.slowTokens);
  scriptCancel(upstream);
  scriptResume(upstream);
  const redis = await RedisServer.start();
  const gatewayEnv = openAiEnv(upstreamUrl, {
    MAX_CONCURRENT_STREAMS: '50000',
    LOG_LEVEL: 'error',
  });
  const relays: RelaySpec[] = [
    { name: 'raw byte pipe (floor)', script: `${PEERS}/raw-pipe.js` },
    { name: 'Express + openai SDK', script: `${PEERS}/express-openai-sdk.js` },
    { name: 'Express + LangChain, naive', script: `${PEERS}/express-langchain.js` },
    { name: 'Vercel AI SDK streamText', script: `${PEERS}/ai-sdk.js` },
    { name: 'NestJS @Sse() + LangChain', script: `${PEERS}/nest-sse.js`, method: 'GET' },
    { name: 'this service, log in memory', script: 'dist/main.js', env: gatewayEnv, gateway: true },
    {
      name: 'this service, log in Redis',
      script: 'dist/main.js',
      env: { ...gatewayEnv, REDIS_URL: redis.url },
      gateway: true,
    },
  ];
  const results: RelayResult[] = [];
  const extra: BenchResults['gateway'] = {};
  try {
    const direct = await directLatency(upstreamUrl, plan.latencyRuns);
    // All relays up at once (idle ones cost nothing), so throughput can be measured round-robin:
    // REPEATS passes over every relay, median per relay, and no relay gets a luckier minute.
    const running: RunningRelay[] = [];
    for (const spec of relays) {
      running.push(await startRelay(spec, upstreamUrl, spec.gateway ? await freePort() : 0));
    }
    const samples = new Map<RunningRelay, ThroughputResult[]>(running.map((relay) => [relay, []]));
    for (let pass = 0; pass < REPEATS; pass++) {
      for (const relay of running) {
        process.stdout.write(`· throughput ${pass + 1}/${REPEATS}: ${relay.spec.name}\n`);
        samples.get(relay)?.push(await measureThroughput(relay, plan));
      }
    }
    for (const relay of running) {
      const { spec } = relay;
      process.stdout.write(`· ${spec.name}\n`);
      try {
        const throughput = medianThroughput(samples.get(relay) ?? []);
        const latency = await relayLatency(relay.url, plan.latencyRuns, spec.method);
        results.push({ name: spec.name, ours: spec.gateway === true, throughput, latency });
        if (spec.name === 'Express + openai SDK' || spec.name === 'this service, log in memory') {
          const concurrency = await measureConcurrency(relay, plan.open, plan.slowTokens);
          results[results.length - 1].concurrency = concurrency;
        }
        if (spec.name === 'this service, log in memory') {
          const proxy = await startNginx([relay.port]);
          extra.latencyThroughNginx = await relayLatency(proxy.url, plan.latencyRuns);
          await proxy.stop();
          extra.cancelSameInstance = await measureCancel({
            upstream,
            streamUrl: relay.url,
            cancelUrl: relay.url,
            runs: plan.cancelRuns,
          });
          extra.resumeMemory = await measureResume(relay.url, plan.resumeRuns);
        }
        if (spec.name === 'this service, log in Redis') {
          const other = await startRelay(spec, upstreamUrl, await freePort());
          extra.cancelCrossInstance = await measureCancel({
            upstream,
            streamUrl: relay.url,
            cancelUrl: other.url,
            runs: plan.cancelRuns,
          });
          await other.stop();
          extra.resumeRedis = await measureResume(relay.url, plan.resumeRuns);
        }
      } finally {
        await relay.stop();
      }
    }
    const demo = await startRelay(
      {
        name: 'this service, demo model',
        script: 'dist/main.js',
        env: { LOG_LEVEL: 'error' },
        gateway: true,
      },
      upstreamUrl,
      await freePort(),
    );
    extra.singleDemo = await measureSingleRequest(demo.url, 'Why is the sky blue?', quick ? 3 : 10);
    await demo.stop();
    const fake = await startRelay(relays[5], upstreamUrl, await freePort());
    upstream.script('single', {
      tokens: Array.from({ length: 50 }, (_, i) => `s${i} `),
      delayMs: 20,
    });
    extra.singleFakeUpstream = await measureSingleRequest(fake.url, 'single', quick ? 5 : 20);
    await fake.stop();
    await writeReport({
      when: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      pinned: hasTaskset,
      plan,
      directLatency: direct,
      relays: results,
      gateway: extra,
    });
  } finally {
    await redis.stop();
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
