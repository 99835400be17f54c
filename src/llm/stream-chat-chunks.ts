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
export function streamChatChunks(
  model: BaseChatModel,
  messages: BaseMessage[],
  signal: AbortSignal,
): AsyncIterable<ChatGenerationChunk> {
  if (model._streamResponseChunks === BaseChatModel.prototype._streamResponseChunks) {
    return invokeOnce(model, messages, signal);
  }
  // Returned as is, not wrapped: every async-generator layer costs promises per token. The
  // providers check the signal between chunks themselves.
  const options = { signal } as BaseChatModelCallOptions & typeof model.ParsedCallOptions;
  return model._streamResponseChunks(messages, options);
}

async function* invokeOnce(
  model: BaseChatModel,
  messages: BaseMessage[],
  signal: AbortSignal,
): AsyncGenerator<ChatGenerationChunk> {
  for await (const message of await model.stream(messages, { signal })) {
    yield new ChatGenerationChunk({ text: message.text, message });
  }
}
