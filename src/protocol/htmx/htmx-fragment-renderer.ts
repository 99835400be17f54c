import type {
  CustomData,
  EndData,
  ErrorData,
  StartData,
  TokenData,
  ToolCallData,
  ToolResultData,
  UsageData,
} from '../chat-event';
import type { StoredEvent } from '../stored-event';
import type { StreamRenderer } from '../stream-renderer';
import { escapeHtml, htmlIdPart } from './html';

export interface HtmxFragmentOptions {
  /**
   * `message`: fragments as unnamed SSE messages, which htmx 4's SSE extension swaps into the
   * request's target. `fragment`: as `event: fragment`, for htmx 2's `sse-swap="fragment"`.
   */
  eventName: 'message' | 'fragment';
  /** The question, shown at the top of the turn the `start` event opens (htmx 4 page). */
  question?: string;
  /** Empty the answer first: this response replays the stream from its start into a page that
   *  may already show part of it (htmx 2's extension reconnects without Last-Event-ID). */
  resetAnswer?: boolean;
  /** A fresh request id for the page's next question, put into its form when this one ends. */
  nextRequestId?: string;
  /**
   * The last event the client has (its Last-Event-ID; -1 for none). When that is the `end`, or
   * later, the client has the whole answer: it gets a bare `event: end`, which closes htmx's SSE
   * extensions without repeating the end's fragment (its note would be shown twice).
   */
  lastEventId?: number;
}

/**
 * HTML fragments for htmx pages: everything the model says is escaped, so hostile output stays
 * text. Each fragment is an out-of-band swap into the answer of its turn (`#answer-<id>`), so it
 * lands in the right place whatever the request's own target is, for htmx 4 and htmx 2 alike.
 * The stream ends with `event: end`, which `hx-sse:close="end"` / `sse-close="end"` close on.
 */
export class HtmxFragmentRenderer implements StreamRenderer {
  readonly headers = {};
  readonly ping = ': ping\n\n';
  // Reasoning and tool blocks are numbered per stream.
  readonly needsHistory = true;
  private answerId = '';
  private blocks = 0;
  private openReasoning: string | undefined;
  private readonly toolBlocks = new Map<string, string>();
  /** The reason of an `end` the client already has, still to be closed with a bare end. */
  private endTheClientHas: EndData['reason'] | undefined;

  constructor(private readonly options: HtmxFragmentOptions) {}

  preamble(): string {
    return 'retry: 2000\n\n';
  }

  render(event: StoredEvent): string {
    const html = this.fragmentOf(event);
    if (event.type === 'end') {
      const reason = (JSON.parse(event.data) as EndData).reason;
      if (event.id <= (this.options.lastEventId ?? -1)) {
        // Replayed or skipped, the writer ends the response with the epilogue: the bare end.
        this.endTheClientHas = reason;
        return '';
      }
      return `${this.frame(event.id, html)}event: end\ndata: ${reason}\n\n`;
    }
    return html === '' ? '' : this.frame(event.id, html);
  }

  epilogue(): string {
    return this.endTheClientHas === undefined
      ? ''
      : `event: end\ndata: ${this.endTheClientHas}\n\n`;
  }

  private fragmentOf(event: StoredEvent): string {
    switch (event.type) {
      case 'start':
        return this.start(JSON.parse(event.data) as StartData);
      case 'token':
        this.openReasoning = undefined;
        return this.append(
          `<span>${escapeHtml((JSON.parse(event.data) as TokenData).content)}</span>`,
        );
      case 'reasoning':
        return this.reasoning((JSON.parse(event.data) as TokenData).content);
      case 'tool_call':
        return this.toolCall(JSON.parse(event.data) as ToolCallData);
      case 'tool_result':
        return this.toolResult(JSON.parse(event.data) as ToolResultData);
      case 'data': {
        const custom = JSON.parse(event.data) as CustomData;
        const body = escapeHtml(JSON.stringify(custom.data) ?? '');
        return this.append(
          `<details class="data"><summary>data · ${escapeHtml(custom.name)}</summary><pre>${body}</pre></details>`,
        );
      }
      case 'usage': {
        const usage = JSON.parse(event.data) as UsageData;
        return this.append(
          `<p class="usage">${usage.inputTokens} tokens in, ${usage.outputTokens} out</p>`,
        );
      }
      case 'error':
        return this.append(
          `<p class="error" role="alert">${escapeHtml((JSON.parse(event.data) as ErrorData).message)}</p>`,
        );
      case 'end':
        return this.end((JSON.parse(event.data) as EndData).reason);
    }
  }

  private start(start: StartData): string {
    const id = htmlIdPart(start.requestId);
    this.answerId = `answer-${id}`;
    if (this.options.question === undefined) {
      return this.options.resetAnswer
        ? `<div id="${this.answerId}" hx-swap-oob="innerHTML"></div>`
        : '';
    }
    const stop = `<button type="button" id="stop-${id}" class="stop" hx-post="/htmx/stop" hx-vals='${escapeHtml(JSON.stringify({ requestId: start.requestId }))}' hx-swap="none">Stop</button>`;
    return [
      `<article class="turn" id="turn-${id}">`,
      `<p class="question">${escapeHtml(this.options.question)}</p>`,
      `<div class="answer" id="${this.answerId}" aria-live="polite"></div>`,
      stop,
      '</article>',
    ].join('');
  }

  private reasoning(content: string): string {
    const text = escapeHtml(content);
    if (this.openReasoning !== undefined) {
      return `<span hx-swap-oob="beforeend:#${this.openReasoning}">${text}</span>`;
    }
    // The first words go inside the new block: an out-of-band swap cannot target an element
    // that another swap of the same fragment creates.
    this.openReasoning = `${this.answerId}-reasoning-${++this.blocks}`;
    return this.append(
      `<details class="reasoning"><summary>Reasoning</summary><span id="${this.openReasoning}">${text}</span></details>`,
    );
  }

  private toolCall(call: ToolCallData): string {
    this.openReasoning = undefined;
    const blockId = `${this.answerId}-tool-${++this.blocks}`;
    this.toolBlocks.set(call.toolCallId, blockId);
    const args = escapeHtml(JSON.stringify(call.args));
    return this.append(
      `<details class="tool" id="${blockId}"><summary>${escapeHtml(call.name)}</summary><pre class="args">${args}</pre></details>`,
    );
  }

  private toolResult(result: ToolResultData): string {
    const blockId = this.toolBlocks.get(result.toolCallId);
    const css = result.isError ? 'result error' : 'result';
    const body = `<pre class="${css}">${escapeHtml(result.content)}</pre>`;
    return blockId === undefined
      ? this.append(body)
      : `<div hx-swap-oob="beforeend:#${blockId}">${body}</div>`;
  }

  private end(reason: EndData['reason']): string {
    const notes: Record<string, string> = {
      cancelled: 'Stopped.',
      timeout: 'The model stopped answering.',
      shutdown: 'The server restarted; ask again.',
      length: 'The answer reached its length limit.',
    };
    const note = notes[reason];
    let html = note ? this.append(`<p class="note">${note}</p>`) : '';
    const stopId = this.answerId.replace(/^answer-/, 'stop-');
    html += `<span id="${stopId}" hx-swap-oob="true"></span>`;
    if (this.options.nextRequestId !== undefined) {
      html += `<input type="hidden" name="requestId" id="request-id" value="${escapeHtml(this.options.nextRequestId)}" hx-swap-oob="true">`;
    }
    return html;
  }

  /** Appends inside the turn's answer, wherever the request's own target is. */
  private append(html: string): string {
    return `<div hx-swap-oob="beforeend:#${this.answerId}">${html}</div>`;
  }

  /** One SSE message; a `data:` line per line, which the client joins back with newlines. */
  private frame(id: number, html: string): string {
    const name = this.options.eventName === 'fragment' ? 'event: fragment\n' : '';
    const data = html
      .split(/\r\n|\r|\n/)
      .map((line) => `data: ${line}\n`)
      .join('');
    return `id: ${id}\n${name}${data}\n`;
  }
}
