import type { DataEvent, ToolCallEvent, ToolResultEvent } from '../src/index.js';
import { renderMarkdown } from './render-markdown.js';
import { ToolBlock } from './tool-block.js';

interface TextSegment {
  element: HTMLElement;
  text: string;
}

/**
 * One answer as it streams: runs of answer text, each rendered as its own sanitised markdown
 * element, with reasoning, tool and data blocks between them where they happened. Rendering the
 * text segments separately keeps a re-render from ever touching (or closing) the blocks.
 * The answer's whole text (tokens only) is kept in `data-text` for reading back.
 */
export class AnswerView {
  private answerText = '';
  private segment: TextSegment | undefined;
  /** The reasoning block being filled, and its "thinking…" mark. */
  private reasoningRun: { body: HTMLElement; state: HTMLElement } | undefined;
  private readonly dirty = new Set<TextSegment>();
  private readonly tools = new Map<string, ToolBlock>();
  private frameScheduled = false;

  constructor(private readonly answer: HTMLElement) {}

  get text(): string {
    return this.answerText;
  }

  token(content: string): void {
    this.answerText += content;
    this.endReasoningRun();
    this.segment ??= this.newSegment();
    this.segment.text += content;
    this.dirty.add(this.segment);
    this.schedule();
  }

  /** Reasoning fills one collapsed block per run of reasoning, as it streams. */
  reasoning(content: string): void {
    if (!this.reasoningRun) {
      const details = document.createElement('details');
      details.className = 'reasoning';
      const summary = document.createElement('summary');
      const state = document.createElement('span');
      state.className = 'reasoning-state';
      state.textContent = ' thinking…';
      summary.append('Reasoning', state);
      const body = document.createElement('div');
      body.className = 'reasoning-text';
      details.append(summary, body);
      this.insert(details);
      this.reasoningRun = { body, state };
    }
    this.reasoningRun.body.append(content);
  }

  toolCall(call: ToolCallEvent): void {
    const block = new ToolBlock(call);
    this.tools.set(call.toolCallId, block);
    this.insert(block.element);
  }

  /** Fills the call's block; a result whose call was never seen gets a block of its own. */
  toolResult(result: ToolResultEvent): void {
    let block = this.tools.get(result.toolCallId);
    if (!block) {
      block = new ToolBlock(result);
      this.tools.set(result.toolCallId, block);
      this.insert(block.element);
    }
    block.result(result);
  }

  data(event: DataEvent): void {
    const details = document.createElement('details');
    details.className = 'data-event';
    const summary = document.createElement('summary');
    summary.textContent = `data · ${event.name}`;
    const body = document.createElement('pre');
    body.textContent = JSON.stringify(event.data, null, 2) ?? '(no data)';
    details.append(summary, body);
    this.insert(details);
  }

  /** Renders what is pending at once and marks calls that never got a result. */
  finish(reason: string): void {
    this.render();
    this.endReasoningRun();
    for (const block of this.tools.values()) block.unanswered(reason);
  }

  /** A block goes after everything so far; answer text after it starts a new segment. */
  private insert(block: HTMLElement): void {
    this.segment = undefined;
    this.endReasoningRun();
    this.answer.append(block);
  }

  /** Anything but more reasoning ends a run of it: its "thinking…" mark goes. */
  private endReasoningRun(): void {
    this.reasoningRun?.state.remove();
    this.reasoningRun = undefined;
  }

  private newSegment(): TextSegment {
    const element = document.createElement('div');
    element.className = 'answer-text';
    this.answer.append(element);
    return { element, text: '' };
  }

  /** At most one markdown render per frame, of the segments that changed. */
  private schedule(): void {
    if (this.frameScheduled) return;
    this.frameScheduled = true;
    requestAnimationFrame(() => this.render());
  }

  private render(): void {
    this.frameScheduled = false;
    for (const segment of this.dirty) segment.element.innerHTML = renderMarkdown(segment.text);
    this.dirty.clear();
    this.answer.dataset.text = this.answerText;
  }
}
