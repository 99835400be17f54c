import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { LLMResult } from '@langchain/core/outputs';

type Fields = Record<string, unknown>;

/**
 * Remembers which model runs stopped at their token limit, for `streamEvents` readers.
 * A model invoked inside a chain or graph (as `createAgent` invokes its model) streams its
 * chunks to `on_chat_model_stream` without their generation info, and ChatOpenAI keeps
 * `finish_reason` only there: no event says the run was cut off. The run's end callback still
 * gets the generation info, so this handler reads it there.
 */
export class FinishReasonRecorder extends BaseCallbackHandler {
  readonly name = 'llm-stream-gateway-finish-reasons';
  private readonly cutOffRuns = new Set<string>();

  constructor() {
    // Awaited inline, not queued in the background: the run is recorded before the event
    // stream's own handler (added after this one) even queues its on_chat_model_end.
    super({ _awaitHandler: true });
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const info = output.generations[0]?.[0]?.generationInfo as Fields | undefined;
    const reason = info?.finish_reason ?? info?.stop_reason;
    if (reason === 'length' || reason === 'max_tokens') this.cutOffRuns.add(runId);
  }

  /** Whether the run stopped at its token limit; asks once per run (the answer is forgotten). */
  takeCutOff(runId: string): boolean {
    return this.cutOffRuns.delete(runId);
  }
}
