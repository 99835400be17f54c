import type { FakeOpenAIServer } from '../test/support/fake-openai-server';
import { freePort, startNginx } from '../test/support/nginx';
import type { BenchResults } from './bench-results';
import { RELAY } from './relays';
import { measureCancel } from './scenarios/cancel';
import { relayLatency } from './scenarios/latency';
import { measureResume } from './scenarios/resume';
import { measureSingleRequest } from './scenarios/single-request';
import { startRelay, type RelaySpec, type RunningRelay } from './support/relay-process';

/** What the scenarios beyond throughput share; they fill in `results`. */
export interface ExtrasContext {
  upstream: FakeOpenAIServer;
  upstreamUrl: string;
  plan: {
    latencyRuns: number;
    cancelRuns: number;
    resumeRuns: number;
  };
  results: BenchResults['gateway'];
}

/** The scenarios only some relays run: nginx, cancel and resume (the fast path with each log). */
export async function measureRelayExtras(
  relay: RunningRelay,
  context: ExtrasContext,
): Promise<void> {
  const { plan, upstream, upstreamUrl, results } = context;
  const { key } = relay.spec;
  if (key === RELAY.fastPath) {
    const proxy = await startNginx([relay.port]);
    results.latencyThroughNginx = await relayLatency({
      relay,
      baseUrl: proxy.url,
      runs: plan.latencyRuns,
    });
    await proxy.stop();
    results.cancelSameInstance = await measureCancel({
      upstream,
      streamUrl: relay.url,
      cancelUrl: relay.url,
      runs: plan.cancelRuns,
    });
    results.resumeMemory = await measureResume(relay.url, plan.resumeRuns);
  }
  if (key === RELAY.fastPathRedis) {
    const other = await startRelay(relay.spec, upstreamUrl, await freePort());
    results.cancelCrossInstance = await measureCancel({
      upstream,
      streamUrl: relay.url,
      cancelUrl: other.url,
      runs: plan.cancelRuns,
    });
    await other.stop();
    results.resumeRedis = await measureResume(relay.url, plan.resumeRuns);
  }
}

/** One question at a time: the built-in demo model, and the fast path over the fake upstream. */
export async function measureSingleRequests(
  fastPath: RelaySpec,
  context: ExtrasContext,
  quick: boolean,
): Promise<void> {
  const { upstream, upstreamUrl, results } = context;
  const demo = await startRelay(
    {
      key: 'gateway-demo',
      name: 'this service, demo model',
      script: 'dist/main.js',
      env: { LOG_LEVEL: 'error' },
      gateway: true,
    },
    upstreamUrl,
    await freePort(),
  );
  results.singleDemo = await measureSingleRequest(demo.url, 'Why is the sky blue?', quick ? 3 : 10);
  await demo.stop();
  const fake = await startRelay(fastPath, upstreamUrl, await freePort());
  upstream.script('single', {
    tokens: Array.from({ length: 50 }, (_, i) => `s${i} `),
    delayMs: 20,
  });
  results.singleFakeUpstream = await measureSingleRequest(fake.url, 'single', quick ? 5 : 20);
  await fake.stop();
}
