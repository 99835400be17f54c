import type { CustomData, ToolCallData, ToolResultData } from '../protocol/chat-event';

/**
 * Where the readers of LangChain's streams put what they find. A callback interface rather than
 * yielded objects, so the per-token path allocates nothing extra.
 */
export interface PipelineOutput {
  /** Answer text. */
  text(content: string): void;
  reasoning(content: string): void;
  toolCall(data: ToolCallData): void;
  toolResult(data: ToolResultData): void;
  custom(data: CustomData): void;
  /** Token counts of one model run so far (they may repeat or grow; the largest counts). */
  usage(runId: string, inputTokens: number, outputTokens: number): void;
  /** The model stopped at its token limit. */
  stoppedForLength(): void;
  /** The model sent a tool call whose arguments are not valid JSON. */
  malformedToolCall(name: string | undefined): void;
}
