import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { FinishReasonRecorder } from './finish-reason-recorder';
import type { PipelineOutput } from './pipeline-output';
import { readMessageChunk } from './read-message-chunk';

/**
 * Tags that mark a model run as internal (a router, a grader, a query rewriter): its tokens are
 * not answer text. The first is LangGraph's own convention for "do not stream this run".
 */
export const HIDDEN_RUN_TAGS = ['nostream', 'langsmith:nostream', 'gateway:internal'];

const isHidden = (tags: readonly string[] | undefined): boolean =>
  tags?.some((tag) => HIDDEN_RUN_TAGS.includes(tag)) ?? false;

function contentText(message: BaseMessage): string {
  return typeof message.content === 'string' ? message.content : message.text;
}

/** ToolMessages anywhere in a chain's output: itself, a list, or `{ messages }` (graph state). */
function toolMessagesIn(output: unknown): ToolMessage[] {
  if (ToolMessage.isInstance(output)) return [output];
  const list: unknown = Array.isArray(output)
    ? output
    : typeof output === 'object' && output !== null
      ? (output as { messages?: unknown }).messages
      : undefined;
  return Array.isArray(list) ? list.filter((item) => ToolMessage.isInstance(item)) : [];
}

/**
 * Reads `streamEvents` (v2) of any Runnable: chains, LangGraph graphs, agents.
 * - answer text and reasoning from `on_chat_model_stream`, except for runs tagged hidden;
 * - usage of every model run (hidden ones cost money too);
 * - `tool_call` once a model run has ended and its arguments are complete; a run cut off at its
 *   token limit is a length stop, and its tool calls are malformed (their arguments are cut
 *   short, however leniently LangChain parsed them);
 * - `tool_result` from each tool's ToolMessage; a tool that threw has no `on_tool_end`, but the
 *   agent's tool node turns the error into a ToolMessage with status "error", found in its output;
 * - `data` from `dispatchCustomEvent`.
 */
export class StreamEventReader {
  private readonly reportedResults = new Set<string>();
  /** Pass it in the run's `callbacks`: the events alone do not say when a run was cut off. */
  readonly finishReasons = new FinishReasonRecorder();

  read(event: StreamEvent, output: PipelineOutput): void {
    switch (event.event) {
      case 'on_chat_model_stream':
        this.readModelChunk(event, output);
        return;
      case 'on_chat_model_end':
        this.readModelEnd(event, output);
        return;
      case 'on_tool_end':
      case 'on_chain_end':
        for (const message of toolMessagesIn(event.data.output)) this.reportResult(message, output);
        return;
      case 'on_custom_event':
        output.custom({ name: event.name, data: event.data as unknown });
        return;
    }
  }

  private readModelChunk(event: StreamEvent, output: PipelineOutput): void {
    const chunk: unknown = event.data.chunk;
    if (typeof chunk !== 'object' || chunk === null) return;
    const message = chunk as BaseMessage;
    if (!isHidden(event.tags)) {
      readMessageChunk(message, event.run_id, output);
      return;
    }
    const usage = (chunk as { usage_metadata?: { input_tokens: number; output_tokens: number } })
      .usage_metadata;
    if (usage) output.usage(event.run_id, usage.input_tokens, usage.output_tokens);
  }

  private readModelEnd(event: StreamEvent, output: PipelineOutput): void {
    const cutOff = this.finishReasons.takeCutOff(event.run_id);
    const message: unknown = event.data.output;
    if (!AIMessage.isInstance(message) || isHidden(event.tags)) return;
    if (cutOff) output.stoppedForLength();
    for (const call of message.tool_calls ?? []) {
      if (cutOff) output.malformedToolCall(call.name);
      else output.toolCall({ toolCallId: call.id ?? '', name: call.name, args: call.args });
    }
    for (const invalid of message.invalid_tool_calls ?? []) output.malformedToolCall(invalid.name);
  }

  private reportResult(message: ToolMessage, output: PipelineOutput): void {
    if (this.reportedResults.has(message.tool_call_id)) return;
    this.reportedResults.add(message.tool_call_id);
    output.toolResult({
      toolCallId: message.tool_call_id,
      name: message.name ?? '',
      content: contentText(message),
      isError: message.status === 'error',
    });
  }
}
