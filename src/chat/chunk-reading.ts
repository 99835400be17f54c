import type { AIMessageChunk } from '@langchain/core/messages';
import type { UsageData } from './chat-event';

/** The text of a chunk, whether its content is a string or a list of content blocks. */
export function chunkText(chunk: AIMessageChunk): string {
  if (typeof chunk.content === 'string') return chunk.content;
  return chunk.text;
}

/** Adds a chunk's usage to what was seen so far (Anthropic reports input and output apart). */
export function addUsage(
  total: UsageData | undefined,
  chunk: AIMessageChunk,
): UsageData | undefined {
  const usage = chunk.usage_metadata;
  if (!usage) return total;
  return {
    inputTokens: (total?.inputTokens ?? 0) + usage.input_tokens,
    outputTokens: (total?.outputTokens ?? 0) + usage.output_tokens,
    totalTokens: (total?.totalTokens ?? 0) + usage.total_tokens,
  };
}

/** True when the provider said it stopped because of the token limit. */
export function stoppedForLength(chunk: AIMessageChunk): boolean {
  const metadata = chunk.response_metadata as Record<string, unknown> | undefined;
  const reason = metadata?.finish_reason ?? metadata?.stop_reason;
  return reason === 'length' || reason === 'max_tokens';
}
