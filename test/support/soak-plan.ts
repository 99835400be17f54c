import type { FakeOpenAIServer } from './fake-openai-server';
import type { SeededRandom } from './seeded-random';

/** One answer the fake upstream gives; streams share a few of them (the fake keys them by prompt). */
export interface SoakScenario {
  prompt: string;
  tokens: string[];
  delayMs: number;
}

/** What the client of one stream does. Times are ms after the POST was sent (hang-up) or after
 * its headers arrived (DELETE: the id is only known to exist from then on). */
export type SoakAction =
  | { kind: 'complete' }
  | { kind: 'hangup'; afterMs: number }
  | { kind: 'delete'; afterMs: number };

export interface StreamPlan {
  index: number;
  /** X-Request-Id, and the system prompt, which is how the upstream request is found again. */
  requestId: string;
  scenario: SoakScenario;
  action: SoakAction;
}

/** The fewest upstream sleeps a stream still has ahead of it for a hang-up to count as "early". */
const EARLY_MARGIN_TOKENS = 3;

/** Registers a handful of scenarios on the fake: 6..24 tokens, 2..6 ms apart. */
export function scriptScenarios(
  random: SeededRandom,
  upstream: FakeOpenAIServer,
  count: number,
): SoakScenario[] {
  return Array.from({ length: count }, (_, index) => {
    const length = random.int(6, 24);
    const scenario: SoakScenario = {
      prompt: `soak scenario ${index}`,
      tokens: Array.from({ length }, (_, token) => `s${index}t${token} `),
      delayMs: random.int(2, 6),
    };
    upstream.script(scenario.prompt, { tokens: scenario.tokens, delayMs: scenario.delayMs });
    return scenario;
  });
}

/** The least time the fake takes to send every token (it sleeps `delayMs` before each). */
export function minimumDurationMs(scenario: SoakScenario): number {
  return scenario.tokens.length * scenario.delayMs;
}

/**
 * The upstream cannot have finished before this moment (epoch ms), given when it got the
 * request: it still had at least EARLY_MARGIN_TOKENS sleeps to go, so the app had whole timer
 * turns to notice a hang-up before the last token could be sent.
 */
export function surelyRunningUntil(scenario: SoakScenario, receivedAt: number): number {
  const sleepsLeft = Math.max(0, scenario.tokens.length - EARLY_MARGIN_TOKENS);
  return receivedAt + sleepsLeft * scenario.delayMs;
}

/**
 * A seeded schedule: 30 % complete, 40 % hang up, 30 % DELETE, at moments spread from "at
 * once" to a little after the stream would have ended, so every phase is hit (before the
 * request reached the app, during setup, mid-stream, at the end, after it).
 */
export function planStreams(options: {
  random: SeededRandom;
  scenarios: SoakScenario[];
  count: number;
  label: string;
}): StreamPlan[] {
  const { random, scenarios, count, label } = options;
  return Array.from({ length: count }, (_, index) => {
    const scenario = random.pick(scenarios);
    const span = minimumDurationMs(scenario) * 1.3 + 20;
    const roll = random.next();
    const action: SoakAction =
      roll < 0.3
        ? { kind: 'complete' }
        : roll < 0.7
          ? { kind: 'hangup', afterMs: random.next() * span }
          : { kind: 'delete', afterMs: random.next() * span };
    return { index, requestId: `${label}-${random.seed}-${index}`, scenario, action };
  });
}
