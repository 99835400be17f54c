import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { abortableDelay } from './abortable-delay';
import { splitIntoTokens } from './demo-answer';
import { planDemoTurn, type DemoTurn } from './demo-turn';

export interface DemoChatModelOptions {
  model: string;
  /** Pause before each token, so the answer arrives at a human reading pace. */
  tokenDelayMs: number;
  maxTokens?: number;
}

export interface DemoCallOptions extends BaseChatModelCallOptions {
  /** Tools bound with `bindTools`, in OpenAI's function format (only the names are used). */
  tools?: { function: { name: string } }[];
}

/** A rough count in the same spirit as a tokenizer: about four characters per token. */
function estimateTokens(messages: BaseMessage[]): number {
  const chars = messages.reduce((sum, message) => sum + message.text.length, 0);
  return Math.max(1, Math.ceil(chars / 4));
}

let toolCallCounter = 0;

/**
 * Tells LangChain's callbacks about a chunk, as real providers do: when the model is invoked
 * (not streamed) inside an agent, this is what `streamEvents` turns into on_chat_model_stream.
 */
async function reportChunk(
  runManager: CallbackManagerForLLMRun | undefined,
  chunk: ChatGenerationChunk,
): Promise<void> {
  await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, {
    chunk,
  });
}

/**
 * A real LangChain chat model that runs in the process with no key and no network: it streams a
 * fixed, readable answer about the question, one word per chunk, abortable between words, and
 * reports usage in a last chunk the way ChatOpenAI does. With tools bound (`bindTools`) it calls
 * the calculator for arithmetic and the clock for the time, streaming its reasoning and the tool
 * call's arguments in pieces, then answers from the tool's result on the next call.
 */
export class DemoChatModel extends BaseChatModel<DemoCallOptions> {
  private readonly options: DemoChatModelOptions;

  constructor(options: DemoChatModelOptions) {
    super({});
    this.options = options;
  }

  _llmType(): string {
    return 'demo';
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<DemoCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, DemoCallOptions> {
    const formatted = tools.map((tool) => convertToOpenAITool(tool));
    return this.withConfig({ ...kwargs, tools: formatted });
  }

  async _generate(
    messages: BaseMessage[],
    callOptions: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    let final: AIMessageChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, callOptions, runManager)) {
      final = final
        ? final.concat(chunk.message as AIMessageChunk)
        : (chunk.message as AIMessageChunk);
    }
    const message = final ?? new AIMessageChunk({ content: '' });
    return { generations: [{ text: message.text, message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    callOptions: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const toolNames = (callOptions.tools ?? []).map((tool) => tool.function.name);
    const turn = planDemoTurn(messages, toolNames);
    let sent = 0;
    let cut = false;
    if (turn.kind === 'tool') {
      for await (const chunk of this.toolCallChunks(turn, callOptions.signal)) {
        sent++;
        yield chunk;
        await reportChunk(runManager, chunk);
      }
    } else {
      const tokens = splitIntoTokens(turn.text);
      const limit = Math.min(tokens.length, this.options.maxTokens ?? Number.POSITIVE_INFINITY);
      cut = limit < tokens.length;
      for (const token of tokens.slice(0, limit)) {
        await abortableDelay(this.options.tokenDelayMs, callOptions.signal);
        sent++;
        const chunk = new ChatGenerationChunk({
          text: token,
          message: new AIMessageChunk({ content: token }),
        });
        yield chunk;
        await reportChunk(runManager, chunk);
      }
    }
    const reason = turn.kind === 'tool' ? 'tool_calls' : cut ? 'length' : 'stop';
    const final = this.finalChunk(messages, sent, reason);
    yield final;
    await reportChunk(runManager, final);
  }

  /** Reasoning word by word, then the tool call with its arguments in two pieces. */
  private async *toolCallChunks(
    turn: Extract<DemoTurn, { kind: 'tool' }>,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ChatGenerationChunk> {
    for (const word of splitIntoTokens(turn.reasoning)) {
      await abortableDelay(this.options.tokenDelayMs, signal);
      yield new ChatGenerationChunk({
        text: '',
        message: new AIMessageChunk({ content: [{ type: 'reasoning', reasoning: word }] }),
      });
    }
    const id = `call_demo_${++toolCallCounter}`;
    const args = JSON.stringify(turn.args);
    const half = Math.ceil(args.length / 2);
    const pieces = [{ id, name: turn.name, args: args.slice(0, half) }, { args: args.slice(half) }];
    for (const piece of pieces) {
      await abortableDelay(this.options.tokenDelayMs, signal);
      yield new ChatGenerationChunk({
        text: '',
        message: new AIMessageChunk({
          content: '',
          tool_call_chunks: [{ ...piece, index: 0, type: 'tool_call_chunk' }],
        }),
      });
    }
  }

  private finalChunk(
    messages: BaseMessage[],
    sent: number,
    finishReason: string,
  ): ChatGenerationChunk {
    const inputTokens = estimateTokens(messages);
    return new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        usage_metadata: {
          input_tokens: inputTokens,
          output_tokens: sent,
          total_tokens: inputTokens + sent,
        },
        response_metadata: { finish_reason: finishReason, model_name: this.options.model },
      }),
    });
  }
}
