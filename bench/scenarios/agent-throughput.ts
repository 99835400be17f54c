import type { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { jsonToolCall } from '../../test/support/fake-tool-calls';
import type { ThroughputOptions } from './throughput';

/** The question the `agent` relay asks in the throughput scenario. */
export const AGENT_THROUGHPUT_PROMPT = 'throughput with a tool';

/**
 * The agent's conversation as a tool-calling OpenAI model would stream it: the first model call
 * streams one `calculator` call (arguments in two pieces), the second (after the tool result)
 * streams the same answer as the chat relays get, token for token at the same pace, so CPU per
 * answer token compares with theirs and carries the extra model call and the tool run on top.
 */
export function scriptAgentThroughput(
  upstream: FakeOpenAIServer,
  options: ThroughputOptions,
): void {
  upstream.scriptTurns(AGENT_THROUGHPUT_PROMPT, [
    {
      tokens: [],
      toolCalls: [jsonToolCall('call_bench_1', 'calculator', { expression: '6 * 7' })],
      delayMs: options.gapMs,
    },
    {
      tokens: Array.from({ length: options.tokens }, (_, index) => `a${index} `),
      delayMs: options.gapMs,
    },
  ]);
}
