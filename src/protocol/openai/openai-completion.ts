import type { ChatEvent, EndReason, ErrorData, UsageData } from '../chat-event';
import { openAIErrorOfEvent, statusOfStreamError, type OpenAIErrorBody } from './openai-error';

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The answer to a `stream: false` request: an HTTP status and its JSON body. */
export interface CompletionAnswer {
  status: number;
  body: Record<string, unknown> | OpenAIErrorBody;
  /** For a failure: whether asking again could succeed (the error event's `retryable`). */
  retryable: boolean;
}

/**
 * Collects a generation's events into one `chat.completion` (`POST /v1/chat/completions`
 * without `stream`): the answer text, the tool calls the gateway ran, usage and the finish
 * reason; or, when it failed, OpenAI's error object with a fitting status.
 */
export class OpenAICompletionBuilder {
  private id = '';
  private created = 0;
  private model = '';
  private content = '';
  private reasoning = '';
  private readonly toolCalls: ToolCall[] = [];
  private usage: UsageData | undefined;
  private error: ErrorData | undefined;
  private endReason: EndReason | undefined;

  add(event: ChatEvent): void {
    switch (event.type) {
      case 'start':
        this.id = `chatcmpl-${event.data.requestId}`;
        this.created = Math.floor(Date.parse(event.data.createdAt) / 1000);
        this.model = event.data.model;
        return;
      case 'token':
        this.content += event.data.content;
        return;
      case 'reasoning':
        this.reasoning += event.data.content;
        return;
      case 'tool_call':
        this.toolCalls.push({
          id: event.data.toolCallId,
          type: 'function',
          function: { name: event.data.name, arguments: JSON.stringify(event.data.args) },
        });
        return;
      case 'usage':
        this.usage = event.data;
        return;
      case 'error':
        this.error = event.data;
        return;
      case 'end':
        this.endReason = event.data.reason;
        return;
      default:
        return;
    }
  }

  answer(): CompletionAnswer {
    if (this.error) {
      const { retryable } = this.error;
      return {
        status: statusOfStreamError(this.error),
        body: openAIErrorOfEvent(this.error),
        retryable,
      };
    }
    if (this.endReason !== 'stop' && this.endReason !== 'length') {
      const message = 'The generation was cancelled.';
      return {
        status: 499,
        body: { error: { message, type: 'server_error', param: null, code: 'cancelled' } },
        retryable: false,
      };
    }
    return { status: 200, body: this.completion(this.endReason), retryable: false };
  }

  private completion(finishReason: 'stop' | 'length'): Record<string, unknown> {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: this.content,
      refusal: null,
      ...(this.reasoning ? { reasoning_content: this.reasoning } : {}),
      ...(this.toolCalls.length > 0 ? { tool_calls: this.toolCalls } : {}),
    };
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      system_fingerprint: null,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      ...(this.usage
        ? {
            usage: {
              prompt_tokens: this.usage.inputTokens,
              completion_tokens: this.usage.outputTokens,
              total_tokens: this.usage.totalTokens,
            },
          }
        : {}),
    };
  }
}
