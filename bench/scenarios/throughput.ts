import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream, type StreamTiming } from '../support/load-client';
import { processCpuMicros } from '../support/proc-cpu';
import { hasTaskset, RELAY_CORE, type RunningRelay } from '../support/relay-process';
import { streamRequest } from '../support/relay-request';
import { round } from '../support/stats';
import { coreBusyMicros } from '../support/system-load';
import { waitUntilIdle } from '../support/wait-until-idle';

export interface ThroughputOptions {
  streams: number;
  tokens: number;
  gapMs: number;
  /** Measured loads after the warm-up; CPU ticks are 10 ms, so more tokens mean less noise. */
  rounds: number;
}

/**
 * How the streams of one load are opened: `ramped` in steps of 100 every 20 ms (as a busy
 * service sees them arrive), `burst` all at once (a reconnect storm, a batch job).
 */
export type LoadShape = 'ramped' | 'burst';

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

export function scriptThroughput(upstream: FakeOpenAIServer, options: ThroughputOptions): void {
  upstream.script(THROUGHPUT_PROMPT, {
    tokens: Array.from({ length: options.tokens }, (_, index) => `w${index} `),
    delayMs: options.gapMs,
  });
}

async function load(relay: RunningRelay, streams: number, shape: LoadShape): Promise<number> {
  const prompt = relay.spec.throughputPrompt ?? THROUGHPUT_PROMPT;
  // Ramped: steps of 100, as before; 500 simultaneous connects can overflow a busy relay's accept
  // queue. Burst: all at once (the listen backlog is 511, somaxconn 4096 here).
  const pending: Promise<StreamTiming>[] = [];
  for (let index = 0; index < streams; index++) {
    if (shape === 'ramped' && index > 0 && index % 100 === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    pending.push(runStream(streamRequest(relay, prompt)));
  }
  const results = await Promise.all(pending);
  return results.reduce((sum, result) => sum + result.tokens, 0);
}

/**
 * A full-size ramped load, then a wait until the relay is idle: every relay gets the same chance
 * to JIT-compile its hot path, and the work the warm-up left behind (trace uploads, garbage) is
 * not counted as the measured load's.
 */
export async function warmUp(relay: RunningRelay, options: ThroughputOptions): Promise<void> {
  await load(relay, options.streams, 'ramped');
  await waitUntilIdle(relay.pid);
}

/** Scenario 1: CPU the relay spends per relayed token, many streams at once (after `warmUp`). */
export async function measureThroughput(
  relay: RunningRelay,
  options: ThroughputOptions,
  shape: LoadShape,
): Promise<ThroughputResult> {
  const expected = options.streams * options.tokens * options.rounds;
  const before = processCpuMicros(relay.pid);
  const coreBefore = coreBusyMicros(RELAY_CORE);
  const started = performance.now();
  let tokens = 0;
  for (let round = 0; round < options.rounds; round++) {
    tokens += await load(relay, options.streams, shape);
  }
  const wallMs = performance.now() - started;
  const loadCpu = processCpuMicros(relay.pid) - before;
  const othersOnCore = coreBusyMicros(RELAY_CORE) - coreBefore - loadCpu;
  // What the measured load leaves behind (uploads, garbage) is its cost too.
  await waitUntilIdle(relay.pid);
  const cpu = processCpuMicros(relay.pid) - before;
  if (tokens !== expected) {
    throw new Error(`${relay.spec.name} (${shape}): relayed ${tokens} of ${expected} tokens`);
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
