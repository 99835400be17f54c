import type {
  EndData,
  ErrorData,
  StartData,
  TokenData,
  ToolCallData,
  UsageData,
} from '../chat-event';
import type { StoredEvent } from '../stored-event';
import type { StreamRenderer } from '../stream-renderer';
import { openAIErrorOfEvent } from './openai-error';

type Delta = Record<string, unknown>;

/**
 * OpenAI's `chat.completion.chunk` stream (`POST /v1/chat/completions` with `stream: true`): the
 * same `id` and `created` on every chunk, a first delta with the role, content deltas, tool calls
 * as `delta.tool_calls` (the gateway ran them already; they are for display), the finish chunk,
 * then the usage chunk (`choices: []`) when asked for, then `data: [DONE]`. No `id:` or `event:`
 * lines: OpenAI's Python client keeps a last event id across events and would surface a later
 * heartbeat comment as an empty, unparseable event.
 */
export class OpenAIChunkRenderer implements StreamRenderer {
  readonly headers = {};
  readonly ping = ': ping\n\n';
  // The id, created time and model come from the `start` event; usage waits for the end.
  readonly needsHistory = true;
  private completionId = '';
  private created = 0;
  private model = '';
  private toolCalls = 0;
  private usage: UsageData | undefined;
  private failed = false;

  constructor(private readonly options: { includeUsage: boolean }) {}

  preamble(): string {
    return '';
  }

  render(event: StoredEvent): string {
    switch (event.type) {
      case 'start':
        return this.start(JSON.parse(event.data) as StartData);
      case 'token':
        return this.chunk({ content: (JSON.parse(event.data) as TokenData).content });
      case 'reasoning':
        // The field OpenAI-compatible servers (vLLM, DeepSeek, OpenRouter) use for it.
        return this.chunk({ reasoning_content: (JSON.parse(event.data) as TokenData).content });
      case 'tool_call':
        return this.toolCall(JSON.parse(event.data) as ToolCallData);
      case 'usage':
        this.usage = JSON.parse(event.data) as UsageData;
        return '';
      case 'error':
        this.failed = true;
        return frame(openAIErrorOfEvent(JSON.parse(event.data) as ErrorData));
      case 'end':
        return this.end(JSON.parse(event.data) as EndData);
      default:
        // Tool results and custom data have no place in OpenAI's chunks.
        return '';
    }
  }

  epilogue(): string {
    return 'data: [DONE]\n\n';
  }

  private start(start: StartData): string {
    this.completionId = `chatcmpl-${start.requestId}`;
    this.created = Math.floor(Date.parse(start.createdAt) / 1000);
    this.model = start.model;
    return this.chunk({ role: 'assistant', content: '' });
  }

  private toolCall(call: ToolCallData): string {
    const index = this.toolCalls++;
    const function_ = { name: call.name, arguments: JSON.stringify(call.args) };
    return this.chunk({
      tool_calls: [{ index, id: call.toolCallId, type: 'function', function: function_ }],
    });
  }

  private end(end: EndData): string {
    if (this.failed) return '';
    if (end.reason === 'cancelled') {
      const body = {
        error: {
          message: 'The generation was cancelled.',
          type: 'server_error',
          param: null,
          code: 'cancelled',
        },
      };
      return frame(body);
    }
    let text = this.chunk({}, end.reason === 'length' ? 'length' : 'stop');
    if (this.options.includeUsage && this.usage) {
      text += frame({
        ...this.envelope(),
        choices: [],
        usage: {
          prompt_tokens: this.usage.inputTokens,
          completion_tokens: this.usage.outputTokens,
          total_tokens: this.usage.totalTokens,
        },
      });
    }
    return text;
  }

  private envelope(): Record<string, unknown> {
    return {
      id: this.completionId,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: null,
    };
  }

  private chunk(delta: Delta, finishReason: string | null = null): string {
    return frame({
      ...this.envelope(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
      ...(this.options.includeUsage ? { usage: null } : {}),
    });
  }
}

function frame(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
