import type { AIMessageChunk } from '@langchain/core/messages';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import type { UsageData } from './chat-event';

/** The text of a chunk, whether its content is a string or a list of content blocks. */
export function chunkText(chunk: ChatGenerationChunk): string {
  const content: unknown = chunk.message.content;
  if (typeof content === 'string') return content;
  return chunk.text;
}

/** Folds a chunk's usage into what was seen so far (Anthropic reports it in two chunks). */
export function addUsage(
  total: UsageData | undefined,
  chunk: ChatGenerationChunk,
): UsageData | undefined {
  const usage = (chunk.message as AIMessageChunk).usage_metadata;
  if (!usage) return total;
  // Counts are running totals where a provider repeats them (Anthropic's message_start says
  // output 1, its message_delta the cumulative output; OpenAI sends one usage chunk), so the
  // largest value seen per field is the answer, never the sum.
  const inputTokens = Math.max(total?.inputTokens ?? 0, usage.input_tokens);
  const outputTokens = Math.max(total?.outputTokens ?? 0, usage.output_tokens);
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

/** True when the provider said it stopped because of the token limit. */
export function stoppedForLength(chunk: ChatGenerationChunk): boolean {
  const info = chunk.generationInfo as Record<string, unknown> | undefined;
  const metadata = chunk.message.response_metadata as Record<string, unknown> | undefined;
  // ChatAnthropic puts message_delta's stop_reason in additional_kwargs.
  const extra = chunk.message.additional_kwargs as Record<string, unknown> | undefined;
  const reason =
    info?.finish_reason ??
    info?.stop_reason ??
    metadata?.finish_reason ??
    metadata?.stop_reason ??
    extra?.stop_reason;
  return reason === 'length' || reason === 'max_tokens';
}
