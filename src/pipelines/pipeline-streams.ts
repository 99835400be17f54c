import { Injectable } from '@nestjs/common';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
} from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import type { Runnable, RunnableConfig } from '@langchain/core/runnables';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import type { ChatRequest } from '../chat/chat-request';
import { toLangChainMessages } from '../chat/to-langchain-messages';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { canStreamDirectly } from './fast-path';
import type { PipelineContext } from './pipeline';
import { PipelineRegistry } from './pipeline-registry';
import type { PipelineSource } from './pipeline-source';
import { readMessageChunk } from './read-message-chunk';
import { StreamEventReader } from './stream-event-reader';

export interface OpenPipelineOptions {
  request: ChatRequest;
  requestId: string;
  owner: string | undefined;
  signal: AbortSignal;
}

/** One model run has one id for usage accounting; the direct paths only ever have one. */
const SINGLE_RUN = 'model';

/**
 * Builds a request's pipeline and opens its stream through LangChain's public API: a chat model
 * with `stream()` (or, when provably equivalent, its own `_streamResponseChunks`; see
 * `canStreamDirectly`), anything else with `streamEvents` v2. Every run carries the request id
 * in its metadata and tags, so LangSmith traces and logs correlate.
 */
@Injectable()
export class PipelineStreams {
  constructor(
    private readonly pipelines: PipelineRegistry,
    private readonly models: ChatModelRegistry,
  ) {}

  async open(options: OpenPipelineOptions): Promise<PipelineSource> {
    const { request, requestId, signal } = options;
    const pipeline = this.pipelines.require(request.pipeline);
    const context: PipelineContext = {
      requestId,
      owner: options.owner,
      signal,
      chatModel: () => this.models.get(request),
    };
    const runnable = await pipeline.create(request, context);
    const messages = toLangChainMessages(request.messages);
    const config: RunnableConfig = {
      signal,
      runName: `llm-stream-gateway:${pipeline.name}`,
      tags: ['llm-stream-gateway', `pipeline:${pipeline.name}`, `request:${requestId}`],
      metadata: { requestId, pipeline: pipeline.name },
    };
    if (runnable instanceof BaseChatModel) {
      const model = runnable as BaseChatModel;
      return canStreamDirectly(model, config)
        ? directSource(model, messages, signal)
        : modelStreamSource(model, messages, config);
    }
    return eventSource(runnable, { messages, question: lastUserText(messages) }, config);
  }
}

function lastUserText(messages: readonly BaseMessage[]): string {
  return [...messages].reverse().find((message) => message.getType() === 'human')?.text ?? '';
}

function directSource(
  model: BaseChatModel,
  messages: BaseMessage[],
  signal: AbortSignal,
): PipelineSource<ChatGenerationChunk> {
  const options = { signal } as BaseChatModelCallOptions & typeof model.ParsedCallOptions;
  return {
    // The provider's generator as is, not wrapped: it checks the signal between chunks itself.
    items: model._streamResponseChunks(messages, options),
    read: (chunk, output) =>
      readMessageChunk(chunk.message, SINGLE_RUN, output, chunk.generationInfo),
  };
}

async function modelStreamSource(
  model: BaseChatModel,
  messages: BaseMessage[],
  config: RunnableConfig,
): Promise<PipelineSource<BaseMessage>> {
  return {
    items: await model.stream(messages, config),
    read: (message, output) => readMessageChunk(message, SINGLE_RUN, output),
  };
}

function eventSource(
  runnable: Runnable,
  input: { messages: BaseMessage[]; question: string },
  config: RunnableConfig,
): PipelineSource<StreamEvent> {
  const reader = new StreamEventReader();
  return {
    items: runnable.streamEvents(input, {
      ...config,
      callbacks: [reader.finishReasons],
      version: 'v2',
    }),
    read: (event, output) => reader.read(event, output),
  };
}
