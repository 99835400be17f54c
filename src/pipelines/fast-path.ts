import { CallbackManager } from '@langchain/core/callbacks/manager';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ensureConfig, type RunnableConfig } from '@langchain/core/runnables';

/**
 * Config keys that only ever reach callback handlers (or are the signal, which the direct call
 * passes on): with no handler, `stream()` does nothing with them. Any other key (a `timeout`,
 * which `stream()` turns into a signal; call options such as `stop` or `tools`, which reach the
 * provider) would be dropped by the direct call, which hands the provider the signal alone.
 */
const INERT_WITHOUT_HANDLERS = new Set([
  'signal',
  'callbacks',
  'tags',
  'metadata',
  'runName',
  'runId',
  'configurable',
  'recursionLimit',
  'maxConcurrency',
]);

/**
 * Whether a chat model may be streamed straight from its `_streamResponseChunks`, skipping
 * `stream()`'s wrapper (callback-manager setup, a per-chunk concat, an abort race and a
 * ReadableStream: a third of the relay's CPU per token when profiled). Only when that wrapper
 * provably does nothing else for this run:
 * - the model streams with its own `_streamResponseChunks`, not disabled (`stream()` would
 *   `invoke()` it whole), not in v1 output (`stream()` converts every chunk to content blocks),
 *   with no `_streamIterator` of its own;
 * - the config, merged with an enclosing run's as `stream()` merges it, carries nothing the
 *   direct call (the signal only) would drop;
 * - LangChain would give the run no callback handler: the same `CallbackManager.configure` that
 *   `stream()` calls, with the model's and this call's callbacks, tags, metadata and verbosity,
 *   and the environment's tracing (LANGSMITH_TRACING, LANGCHAIN_TRACING_V2, LANGCHAIN_VERBOSE,
 *   configure hooks).
 * Otherwise the public `stream()` is used.
 */
export function canStreamDirectly(model: BaseChatModel, config: RunnableConfig): boolean {
  if (model._streamResponseChunks === BaseChatModel.prototype._streamResponseChunks) return false;
  if (model._streamIterator !== BaseChatModel.prototype._streamIterator) return false;
  if (model.disableStreaming || model.outputVersion === 'v1') return false;
  const effective = ensureConfig(config);
  // An enclosing run's timeout becomes part of the signal that `stream()` would use.
  if (effective.signal !== config.signal) return false;
  for (const [key, value] of Object.entries(effective)) {
    if (value !== undefined && !INERT_WITHOUT_HANDLERS.has(key)) return false;
  }
  const manager = CallbackManager.configure(
    effective.callbacks,
    model.callbacks,
    effective.tags,
    model.tags,
    effective.metadata,
    model.metadata,
    { verbose: model.verbose },
  );
  return (manager?.handlers.length ?? 0) === 0;
}
