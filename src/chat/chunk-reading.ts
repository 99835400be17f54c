import type { AIMessageChunk } from '@langchain/core/messages';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import type { UsageData } from './chat-event';

/** The text of a chunk, whether its content is a string or a list of content blocks. */
export function chunkText(chunk: ChatGenerationChunk): string {
  const content: unknown = chunk.message.content;
  if (typeof content === 'string') return content;
  return chunk.text;
}

/** Adds a chunk's usage to what was seen so far (Anthropic reports input and output apart). */
export function addUsage(
  total: UsageData | undefined,
  chunk: ChatGenerationChunk,
): UsageData | undefined {
  const usage = (chunk.message as AIMessageChunk).usage_metadata;
  if (!usage) return total;
  return {
    inputTokens: (total?.inputTokens ?? 0) + usage.input_tokens,
    outputTokens: (total?.outputTokens ?? 0) + usage.output_tokens,
    totalTokens: (total?.totalTokens ?? 0) + usage.total_tokens,
  };
}

/** True when the provider said it stopped because of the token limit. */
export function stoppedForLength(chunk: ChatGenerationChunk): boolean {
  const info = chunk.generationInfo as Record<string, unknown> | undefined;
  const metadata = chunk.message.response_metadata as Record<string, unknown> | undefined;
  const reason =
    info?.finish_reason ?? info?.stop_reason ?? metadata?.finish_reason ?? metadata?.stop_reason;
  return reason === 'length' || reason === 'max_tokens';
}
