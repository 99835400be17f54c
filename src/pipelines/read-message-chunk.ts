import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { PipelineOutput } from './pipeline-output';

type Fields = Record<string, unknown>;

/** True when the provider said it stopped because of the token limit. */
function stoppedForLength(message: BaseMessage, generationInfo: Fields | undefined): boolean {
  const metadata = message.response_metadata as Fields | undefined;
  // ChatAnthropic puts message_delta's stop_reason in additional_kwargs.
  const extra = message.additional_kwargs as Fields | undefined;
  const reason =
    generationInfo?.finish_reason ??
    generationInfo?.stop_reason ??
    metadata?.finish_reason ??
    metadata?.stop_reason ??
    extra?.stop_reason;
  return reason === 'length' || reason === 'max_tokens';
}

/** Text and reasoning inside a list of content blocks, whatever the provider's block shapes. */
function readContentBlocks(blocks: readonly unknown[], output: PipelineOutput): void {
  for (const block of blocks) {
    if (typeof block !== 'object' || block === null) continue;
    const fields = block as Fields;
    const text = fields.type === 'text' || fields.type === 'text_delta' ? fields.text : undefined;
    if (typeof text === 'string' && text.length > 0) output.text(text);
    // LangChain's standard reasoning block, and Anthropic's thinking block.
    const reasoning =
      fields.type === 'reasoning'
        ? fields.reasoning
        : fields.type === 'thinking'
          ? fields.thinking
          : undefined;
    if (typeof reasoning === 'string' && reasoning.length > 0) output.reasoning(reasoning);
  }
}

/**
 * Reads one streamed message chunk of a model run: answer text, reasoning (content blocks, or
 * `reasoning_content` as DeepSeek-style OpenAI-compatible servers send it), usage and the stop
 * reason. Used for the fast path, `stream()` and `streamEvents` alike, so all three agree.
 */
export function readMessageChunk(
  message: AIMessageChunk | BaseMessage,
  runId: string,
  output: PipelineOutput,
  generationInfo?: Fields,
): void {
  const content: unknown = message.content;
  if (typeof content === 'string') {
    if (content.length > 0) output.text(content);
  } else if (Array.isArray(content)) {
    readContentBlocks(content, output);
  }
  const reasoning = (message.additional_kwargs as Fields | undefined)?.reasoning_content;
  if (typeof reasoning === 'string' && reasoning.length > 0) output.reasoning(reasoning);
  const usage = (message as AIMessageChunk).usage_metadata;
  if (usage) output.usage(runId, usage.input_tokens, usage.output_tokens);
  if (stoppedForLength(message, generationInfo)) output.stoppedForLength();
}
