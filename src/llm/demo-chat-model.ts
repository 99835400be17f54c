import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
} from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { abortableDelay } from './abortable-delay';
import { composeDemoAnswer, splitIntoTokens } from './demo-answer';

export interface DemoChatModelOptions {
  model: string;
  /** Pause before each token, so the answer arrives at a human reading pace. */
  tokenDelayMs: number;
  maxTokens?: number;
}

function lastUserText(messages: BaseMessage[]): string {
  const last = [...messages].reverse().find((message) => message.getType() === 'human');
  return last?.text ?? '';
}

/** A rough count in the same spirit as a tokenizer: about four characters per token. */
function estimateTokens(messages: BaseMessage[]): number {
  const chars = messages.reduce((sum, message) => sum + message.text.length, 0);
  return Math.max(1, Math.ceil(chars / 4));
}

/**
 * A real LangChain chat model that runs in the process with no key and no network: it streams a
 * fixed, readable answer about the question, one word per chunk, abortable between words, and
 * reports usage in a last chunk the way ChatOpenAI does.
 */
export class DemoChatModel extends BaseChatModel {
  private readonly options: DemoChatModelOptions;

  constructor(options: DemoChatModelOptions) {
    super({});
    this.options = options;
  }

  _llmType(): string {
    return 'demo';
  }

  async _generate(
    messages: BaseMessage[],
    callOptions: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    let text = '';
    let final: AIMessageChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, callOptions, runManager)) {
      text += chunk.text;
      final = chunk.message as AIMessageChunk;
    }
    const message = new AIMessageChunk({
      content: text,
      usage_metadata: final?.usage_metadata,
      response_metadata: final?.response_metadata,
    });
    return { generations: [{ text, message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    callOptions: BaseChatModelCallOptions,
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const tokens = splitIntoTokens(composeDemoAnswer(lastUserText(messages)));
    const limit = this.options.maxTokens ?? Number.POSITIVE_INFINITY;
    const sent = Math.min(tokens.length, limit);
    for (const token of tokens.slice(0, sent)) {
      await abortableDelay(this.options.tokenDelayMs, callOptions.signal);
      yield new ChatGenerationChunk({
        text: token,
        message: new AIMessageChunk({ content: token }),
      });
      await runManager?.handleLLMNewToken(token);
    }
    const inputTokens = estimateTokens(messages);
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        usage_metadata: {
          input_tokens: inputTokens,
          output_tokens: sent,
          total_tokens: inputTokens + sent,
        },
        response_metadata: {
          finish_reason: sent < tokens.length ? 'length' : 'stop',
          model_name: this.options.model,
        },
      }),
    });
  }
}
