import type { BaseMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import type { Pipeline } from '../../src/pipelines/pipeline';

/** A pipeline for tests, with a count of how often its chain ran. */
export interface CountingPipeline extends Pipeline {
  /** Times the chain's first step ran (it only runs when the chain is streamed). */
  readonly runs: number;
}

/**
 * The configured chat model behind a passthrough step, `RunnableLambda.pipe(model)`: the same
 * model and the same conversation as the `chat` pipeline, but an LCEL chain, so the gateway
 * streams it with `streamEvents` instead of the model's own stream.
 */
export function chainPipeline(name = 'lcel-chain'): CountingPipeline {
  let runs = 0;
  return {
    name,
    description: 'The chat model behind a passthrough step (an LCEL chain).',
    get runs() {
      return runs;
    },
    create: (_request, context) =>
      RunnableLambda.from((input: { messages: BaseMessage[] }) => {
        runs++;
        return input.messages;
      }).pipe(context.chatModel()),
  };
}
