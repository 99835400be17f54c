import type {
  CustomData,
  EndData,
  ErrorData,
  StartData,
  TokenData,
  ToolCallData,
  ToolResultData,
} from '../chat-event';
import type { StoredEvent } from '../stored-event';
import type { StreamRenderer } from '../stream-renderer';

type Chunk = Record<string, unknown>;

/** Characters a `data-<name>` part type may use; anything else becomes `_`. */
const DATA_NAME = /[^A-Za-z0-9_-]/g;

/**
 * The Vercel AI SDK's UI message stream (what `useChat` and `DefaultChatTransport` read):
 * `start`, `start-step`, `text-start`/`-delta`/`-end`, `reasoning-*`, `tool-input-available`,
 * `tool-output-available` / `tool-output-error`, `finish-step`, `finish` (or `error`, or
 * `abort` on cancel), then `[DONE]`. The SDK validates every chunk against its schema, so each
 * carries exactly its fields. A delta is only ever sent inside its start and end; a model call
 * after tool results is a new step. The message id is the request id, so a replay for a resume
 * names the same message. Our event ids go in SSE `id:` lines.
 */
export class UiMessageRenderer implements StreamRenderer {
  readonly headers = { 'x-vercel-ai-ui-message-stream': 'v1' };
  readonly ping = ': ping\n\n';
  readonly needsHistory = true;
  private parts = 0;
  private openText: string | undefined;
  private openReasoning: string | undefined;
  /** Tool results came in since the last model output: the next output starts a new step. */
  private afterTools = false;

  preamble(): string {
    return '';
  }

  render(event: StoredEvent): string {
    return this.chunksOf(event)
      .map((chunk) => `id: ${event.id}\ndata: ${JSON.stringify(chunk)}\n\n`)
      .join('');
  }

  epilogue(): string {
    return 'data: [DONE]\n\n';
  }

  private chunksOf(event: StoredEvent): Chunk[] {
    switch (event.type) {
      case 'start':
        return [
          { type: 'start', messageId: (JSON.parse(event.data) as StartData).requestId },
          { type: 'start-step' },
        ];
      case 'token':
        return this.delta('text', (JSON.parse(event.data) as TokenData).content);
      case 'reasoning':
        return this.delta('reasoning', (JSON.parse(event.data) as TokenData).content);
      case 'tool_call':
        return this.toolCall(JSON.parse(event.data) as ToolCallData);
      case 'tool_result':
        return this.toolResult(JSON.parse(event.data) as ToolResultData);
      case 'data': {
        const custom = JSON.parse(event.data) as CustomData;
        return [{ type: `data-${custom.name.replace(DATA_NAME, '_')}`, data: custom.data }];
      }
      case 'usage':
        return [{ type: 'data-usage', data: JSON.parse(event.data) as unknown, transient: true }];
      case 'error':
        return [
          ...this.closeParts(),
          { type: 'error', errorText: (JSON.parse(event.data) as ErrorData).message },
        ];
      case 'end':
        return this.end(JSON.parse(event.data) as EndData);
    }
  }

  private delta(kind: 'text' | 'reasoning', delta: string): Chunk[] {
    const open = kind === 'text' ? this.openText : this.openReasoning;
    if (open !== undefined) return [{ type: `${kind}-delta`, id: open, delta }];
    const chunks = [...this.closeParts(), ...this.nextStepIfNeeded()];
    const id = `${kind}-${++this.parts}`;
    if (kind === 'text') this.openText = id;
    else this.openReasoning = id;
    chunks.push({ type: `${kind}-start`, id }, { type: `${kind}-delta`, id, delta });
    return chunks;
  }

  private toolCall(call: ToolCallData): Chunk[] {
    return [
      ...this.closeParts(),
      ...this.nextStepIfNeeded(),
      {
        type: 'tool-input-available',
        toolCallId: call.toolCallId,
        toolName: call.name,
        input: call.args,
      },
    ];
  }

  private toolResult(result: ToolResultData): Chunk[] {
    this.afterTools = true;
    const chunk = result.isError
      ? { type: 'tool-output-error', toolCallId: result.toolCallId, errorText: result.content }
      : { type: 'tool-output-available', toolCallId: result.toolCallId, output: result.content };
    return [...this.closeParts(), chunk];
  }

  private end(end: EndData): Chunk[] {
    const chunks = this.closeParts();
    if (end.reason === 'cancelled') return [...chunks, { type: 'abort' }];
    const finishReason = end.reason === 'stop' || end.reason === 'length' ? end.reason : 'error';
    return [...chunks, { type: 'finish-step' }, { type: 'finish', finishReason }];
  }

  private nextStepIfNeeded(): Chunk[] {
    if (!this.afterTools) return [];
    this.afterTools = false;
    return [{ type: 'finish-step' }, { type: 'start-step' }];
  }

  private closeParts(): Chunk[] {
    const chunks: Chunk[] = [];
    if (this.openText !== undefined) chunks.push({ type: 'text-end', id: this.openText });
    if (this.openReasoning !== undefined) {
      chunks.push({ type: 'reasoning-end', id: this.openReasoning });
    }
    this.openText = undefined;
    this.openReasoning = undefined;
    return chunks;
  }
}
