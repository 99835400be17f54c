import {
  BaseChatModel,
  type BaseChatModelCallOptions,
} from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';

/**
 * The model's chunks, straight from its `_streamResponseChunks`. `model.stream()` wraps that
 * same generator in callback-manager setup, a per-chunk `concat` of everything so far, an
 * AbortSignal race and a ReadableStream; profiled under load (`node --cpu-prof`, 300 streams ×
 * 100 tokens) that wrapper was a third of the relay's CPU per token, and this service uses none
 * of it (no LangChain callbacks or tracing). The provider's own code, HTTP client, chunk parsing
 * and abort handling are unchanged. Models without a streaming implementation fall back to
 * `stream()`, which invokes them once.
 */
export async function* streamChatChunks(
  model: BaseChatModel,
  messages: BaseMessage[],
  signal: AbortSignal,
): AsyncGenerator<ChatGenerationChunk> {
  if (model._streamResponseChunks === BaseChatModel.prototype._streamResponseChunks) {
    for await (const message of await model.stream(messages, { signal })) {
      yield new ChatGenerationChunk({ text: message.text, message });
    }
    return;
  }
  const options = { signal } as BaseChatModelCallOptions & typeof model.ParsedCallOptions;
  for await (const chunk of model._streamResponseChunks(messages, options)) {
    signal.throwIfAborted();
    yield chunk;
  }
}
