import type { ChatStreamEvent } from '../src/index.js';
import type { AnswerView } from './answer-view.js';
import type { StatusLine } from './status-line.js';
import type { StreamStats } from './stream-stats.js';

/** Where one turn's events are shown. */
export interface TurnView {
  answer: HTMLElement;
  view: AnswerView;
  stats: StreamStats;
  status: StatusLine;
  provider: HTMLElement;
  /** The `end` event's reason, once it came. */
  endReason: string | undefined;
}

/** Shows one event of the answer being streamed. */
export function presentEvent(event: ChatStreamEvent, turn: TurnView): void {
  const { view, stats, status } = turn;
  switch (event.type) {
    case 'start':
      turn.provider.textContent = `${event.provider} · ${event.model}`;
      break;
    case 'token':
      view.token(event.content);
      stats.token();
      status.progress(stats.describe());
      break;
    case 'reasoning':
      view.reasoning(event.content);
      status.progress('Reasoning…');
      break;
    case 'tool_call':
      view.toolCall(event);
      status.progress(`Calling ${event.name}…`);
      break;
    case 'tool_result':
      view.toolResult(event);
      status.progress(`${event.name} ${event.isError ? 'failed' : 'answered'}`);
      break;
    case 'data':
      view.data(event);
      break;
    case 'usage':
      stats.usage = event;
      break;
    case 'end':
      turn.endReason = event.reason;
      turn.answer.dataset.endReason = event.reason;
      status.set(
        [stats.describe(), event.reason === 'stop' ? '' : `ended: ${event.reason}`]
          .filter(Boolean)
          .join(' · '),
      );
  }
}
