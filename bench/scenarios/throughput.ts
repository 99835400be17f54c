import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream, type StreamTiming } from '../support/load-client';
import { processCpuMicros } from '../support/proc-cpu';
import { hasTaskset, RELAY_CORE, type RunningRelay } from '../support/relay-process';
import { round } from '../support/stats';
import { coreBusyMicros } from '../support/system-load';
import { waitUntilIdle } from '../support/wait-until-idle';

export interface ThroughputOptions {
  streams: number;
  tokens: number;
  gapMs: number;
}

export interface ThroughputResult {
  cpuMicrosPerToken: number;
  /** Every measured pass, when the run repeats the measurement. */
  samples?: number[];
  tokens: number;
  wallMs: number;
  /**
   * Of `cpuMicrosPerToken`, what the relay spent after its last stream had ended (e.g. a tracer
   * still uploading runs), counted because the measurement waits for the relay to fall idle.
   */
  tailMicrosPerToken?: number;
  /** Share (%) of the relay's core that other processes used during the measured loads. */
  othersOnRelayCorePercent?: number;
}

export const THROUGHPUT_PROMPT = 'throughput';
/** Measured rounds after the warm-up; CPU ticks are 10 ms, so more tokens mean less noise. */
const ROUNDS = 2;

export function scriptThroughput(upstream: FakeOpenAIServer, options: ThroughputOptions): void {
  upstream.script(THROUGHPUT_PROMPT, {
    tokens: Array.from({ length: options.tokens }, (_, index) => `w${index} `),
    delayMs: options.gapMs,
  });
}

async function load(relay: RunningRelay, streams: number): Promise<number> {
  const { spec } = relay;
  const method = spec.method ?? 'POST';
  const prompt = spec.throughputPrompt ?? THROUGHPUT_PROMPT;
  const url =
    method === 'GET'
      ? `${relay.url}/api/chat/stream?query=${encodeURIComponent(prompt)}`
      : `${relay.url}/api/chat/stream`;
  const body = method === 'POST' ? { query: prompt, ...spec.bodyExtras } : undefined;
  // Opened in bursts of 100: 500 simultaneous connects overflow a busy relay's accept queue
  // (ECONNRESET here), which would measure the kernel rather than the relay.
  const pending: Promise<StreamTiming>[] = [];
  for (let index = 0; index < streams; index++) {
    if (index > 0 && index % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    pending.push(runStream({ url, method, body, tokenMark: spec.tokenMark }));
  }
  const results = await Promise.all(pending);
  return results.reduce((sum, result) => sum + result.tokens, 0);
}

/** Scenario 1: CPU the relay spends per relayed token, many streams at once. */
export async function measureThroughput(
  relay: RunningRelay,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  // A full-size warm-up first: every relay gets the same chance to JIT-compile its hot path.
  await load(relay, options.streams);
  // Work the warm-up left behind (trace uploads, garbage) must not count as the measured load's.
  await waitUntilIdle(relay.pid);
  const expected = options.streams * options.tokens * ROUNDS;
  const before = processCpuMicros(relay.pid);
  const coreBefore = coreBusyMicros(RELAY_CORE);
  const started = performance.now();
  let tokens = 0;
  for (let round = 0; round < ROUNDS; round++) tokens += await load(relay, options.streams);
  const wallMs = performance.now() - started;
  const loadCpu = processCpuMicros(relay.pid) - before;
  const othersOnCore = coreBusyMicros(RELAY_CORE) - coreBefore - loadCpu;
  // ...but what the measured load leaves behind does.
  await waitUntilIdle(relay.pid);
  const cpu = processCpuMicros(relay.pid) - before;
  if (tokens !== expected) {
    throw new Error(`${relay.spec.name}: relayed ${tokens} of ${expected} tokens`);
  }
  return {
    cpuMicrosPerToken: round(cpu / tokens),
    tokens,
    wallMs: round(wallMs),
    tailMicrosPerToken: round((cpu - loadCpu) / tokens),
    // Without taskset the relay has no core of its own to watch.
    othersOnRelayCorePercent: hasTaskset
      ? round(Math.max(0, othersOnCore) / (wallMs * 10), 1)
      : undefined,
  };
}
