import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { runStream } from '../support/load-client';
import { processCpuMicros } from '../support/proc-cpu';
import type { RunningRelay } from '../support/relay-process';
import { streamRequest } from '../support/relay-request';
import { round } from '../support/stats';
import { waitUntilIdle } from '../support/wait-until-idle';

export interface SetupOptions {
  /** 2-token streams measured, e.g. 2,000. */
  setupStreams: number;
  /** How many run at once. */
  setupConcurrency: number;
}

export interface SetupResult {
  /** CPU the relay spends on one 2-token stream: accepting it, the upstream call, the end. */
  cpuMicrosPerStream: number;
  samples?: number[];
  streams: number;
  /** Streams run just before, as warm-up: outside the CPU figure, inside a Redis reading around it. */
  warmUpStreams: number;
  wallMs: number;
}

export const SETUP_PROMPT = 'setup';
export const SETUP_TOKENS = 2;

export function scriptSetup(upstream: FakeOpenAIServer): void {
  upstream.script(SETUP_PROMPT, {
    tokens: Array.from({ length: SETUP_TOKENS }, (_, index) => `s${index} `),
  });
}

/** `streams` 2-token streams, `concurrency` at a time; resolves once all ended. */
async function run(relay: RunningRelay, streams: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < streams) {
      next++;
      const result = await runStream(streamRequest(relay, SETUP_PROMPT));
      if (result.status !== 200 || result.tokens !== SETUP_TOKENS) {
        throw new Error(
          `${relay.spec.name} (setup): status ${result.status}, ${result.tokens} of ${SETUP_TOKENS} tokens`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Scenario "setup": what a stream's start and end cost, with hardly any tokens in between.
 * A tenth of the streams warm up first; CPU counts until the relay is idle again.
 */
export async function measureSetup(
  relay: RunningRelay,
  options: SetupOptions,
): Promise<SetupResult> {
  const warmUpStreams = Math.ceil(options.setupStreams / 10);
  await run(relay, warmUpStreams, options.setupConcurrency);
  await waitUntilIdle(relay.pid);
  const before = processCpuMicros(relay.pid);
  const started = performance.now();
  await run(relay, options.setupStreams, options.setupConcurrency);
  const wallMs = performance.now() - started;
  await waitUntilIdle(relay.pid);
  const cpu = processCpuMicros(relay.pid) - before;
  return {
    cpuMicrosPerStream: round(cpu / options.setupStreams, 1),
    streams: options.setupStreams,
    warmUpStreams,
    wallMs: round(wallMs),
  };
}
