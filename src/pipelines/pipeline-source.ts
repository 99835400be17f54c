import type { PipelineOutput } from './pipeline-output';

/**
 * A running pipeline's stream as the service consumes it: the raw items LangChain yields, and a
 * synchronous reader that turns each into output. Kept apart (rather than an async generator of
 * decoded parts) because every async-generator layer costs promises per token.
 */
export interface PipelineSource<Item = unknown> {
  items: AsyncIterable<Item>;
  read(item: Item, output: PipelineOutput): void;
}
