import type { PipelineOutput } from '../pipelines/pipeline-output';
import type {
  ChatEvent,
  CustomData,
  ToolCallData,
  ToolResultData,
  UsageData,
} from '../protocol/chat-event';
import { ChatEventSequence } from '../protocol/chat-event-sequence';

/**
 * Turns what the readers find into numbered events, queued until the service yields them, and
 * keeps what only matters at the end: usage summed over model runs (within a run the largest
 * count wins, as providers repeat running totals), a length stop, a malformed tool call.
 */
export class EventCollector implements PipelineOutput {
  readonly sequence = new ChatEventSequence();
  /** Events made since the last `take`; the same array is reused to spare an allocation per token. */
  private readonly queue: ChatEvent[] = [];
  private readonly runs = new Map<string, { input: number; output: number }>();
  hitLength = false;
  /** Set when a model sent tool-call arguments that are not JSON: the run cannot go on. */
  malformedToolCallSeen = false;

  /** The queued events; valid until the next call. */
  take(): ChatEvent[] {
    return this.queue;
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Usage over every model run, or undefined when no provider reported any. */
  totalUsage(): UsageData | undefined {
    if (this.runs.size === 0) return undefined;
    let inputTokens = 0;
    let outputTokens = 0;
    for (const run of this.runs.values()) {
      inputTokens += run.input;
      outputTokens += run.output;
    }
    return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  }

  text(content: string): void {
    this.queue.push(this.sequence.make('token', { content }));
  }

  reasoning(content: string): void {
    this.queue.push(this.sequence.make('reasoning', { content }));
  }

  toolCall(data: ToolCallData): void {
    this.queue.push(this.sequence.make('tool_call', data));
  }

  toolResult(data: ToolResultData): void {
    this.queue.push(this.sequence.make('tool_result', data));
  }

  custom(data: CustomData): void {
    this.queue.push(this.sequence.make('data', data));
  }

  usage(runId: string, inputTokens: number, outputTokens: number): void {
    const run = this.runs.get(runId);
    if (!run) {
      this.runs.set(runId, { input: inputTokens, output: outputTokens });
      return;
    }
    run.input = Math.max(run.input, inputTokens);
    run.output = Math.max(run.output, outputTokens);
  }

  stoppedForLength(): void {
    this.hitLength = true;
  }

  malformedToolCall(): void {
    this.malformedToolCallSeen = true;
  }
}
