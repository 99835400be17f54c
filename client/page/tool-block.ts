import type { ToolCallEvent, ToolResultEvent } from '../src/index.js';

const SUMMARY_ARGS_MAX = 60;
const SUMMARY_RESULT_MAX = 40;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = '',
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

const shorten = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** `expression: "12 * 7"`: the arguments in one short line for the block's summary. */
export function shortArgs(args: Record<string, unknown>): string {
  const line = Object.entries(args)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(', ');
  return shorten(line, SUMMARY_ARGS_MAX);
}

/**
 * One tool call and its result as a collapsed `<details>`: the summary names the tool, its
 * arguments and (once known) its result; the body holds the arguments as JSON and the whole
 * result. Everything the model or the tool sent is set as text, never as HTML.
 */
export class ToolBlock {
  readonly element: HTMLDetailsElement;
  private readonly state: HTMLElement;
  private readonly body: HTMLElement;

  constructor(call: Pick<ToolCallEvent, 'toolCallId' | 'name'> & { args?: ToolCallEvent['args'] }) {
    this.element = element('details', 'tool');
    this.element.dataset.toolCallId = call.toolCallId;
    this.element.dataset.toolName = call.name;
    this.element.dataset.state = 'running';
    const summary = element('summary', 'tool-summary');
    this.state = element('span', 'tool-state', 'running…');
    summary.append(element('span', 'tool-name', call.name));
    if (call.args) summary.append(' ', element('code', 'tool-args-short', shortArgs(call.args)));
    summary.append(' ', this.state);
    this.body = element('div', 'tool-body');
    if (call.args) {
      this.body.append(
        element('div', 'tool-label', 'Arguments'),
        element('pre', 'tool-args', JSON.stringify(call.args, null, 2)),
      );
    }
    this.element.append(summary, this.body);
  }

  result(result: ToolResultEvent): void {
    this.element.dataset.state = result.isError ? 'error' : 'done';
    this.state.textContent = result.isError
      ? 'failed'
      : `→ ${shorten(result.content.replace(/\s+/g, ' '), SUMMARY_RESULT_MAX)}`;
    this.body.append(
      element('div', 'tool-label', result.isError ? 'Error' : 'Result'),
      element('pre', result.isError ? 'tool-result error' : 'tool-result', result.content),
    );
  }

  /** The stream ended before the tool answered (cancelled, failed, shut down). */
  unanswered(reason: string): void {
    if (this.element.dataset.state !== 'running') return;
    this.element.dataset.state = 'unanswered';
    this.state.textContent = `no result (${reason})`;
  }
}
