import { ChatHttpError, ChatStreamError, streamChat, type ChatStream } from '../src/index.js';
import { AnswerView } from './answer-view.js';
import { PipelinePicker } from './pipeline-picker.js';
import { presentEvent, type TurnView } from './present-event.js';
import { StatusLine } from './status-line.js';
import { StreamStats } from './stream-stats.js';

interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = byId<HTMLFormElement>('ask');
const question = byId<HTMLTextAreaElement>('question');
const send = byId<HTMLButtonElement>('send');
const stop = byId<HTMLButtonElement>('stop');
const transcript = byId<HTMLElement>('transcript');
const status = new StatusLine(byId<HTMLElement>('status'));
const errorLine = byId<HTMLElement>('error');
const provider = byId<HTMLElement>('provider');
const apiKey = byId<HTMLInputElement>('api-key');
const pipelines = new PipelinePicker(
  byId<HTMLSelectElement>('pipeline'),
  byId<HTMLElement>('pipeline-description'),
);

const history: Turn[] = [];
let current: ChatStream | undefined;

const authHeaders = (): Record<string, string> =>
  apiKey.value ? { Authorization: `Bearer ${apiKey.value}` } : {};

apiKey.value = sessionStorage.getItem('apiKey') ?? '';
apiKey.addEventListener('change', () => {
  sessionStorage.setItem('apiKey', apiKey.value);
  void pipelines.load(authHeaders());
});
void pipelines.load(authHeaders());

function showError(text: string | undefined): void {
  errorLine.hidden = !text;
  errorLine.textContent = text ?? '';
}

function addTurn(text: string): HTMLElement {
  const turn = document.createElement('section');
  turn.className = 'turn';
  const asked = document.createElement('div');
  asked.className = 'question';
  asked.textContent = text;
  const answer = document.createElement('div');
  answer.className = 'answer streaming';
  turn.append(asked, answer);
  transcript.append(turn);
  return answer;
}

function describeError(error: unknown): string {
  if (error instanceof ChatHttpError)
    return `The server refused the request (${error.status}): ${error.message}`;
  if (error instanceof ChatStreamError)
    return `The answer failed: ${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

async function ask(text: string): Promise<void> {
  showError(undefined);
  const answer = addTurn(text);
  const view = new AnswerView(answer);
  const stats = new StreamStats();
  const stream = streamChat({
    baseUrl: '',
    headers: authHeaders(),
    resume: true,
    body: { messages: [...history, { role: 'user', content: text }], pipeline: pipelines.value },
    onConnectionChange: (state, detail) => {
      if (state === 'reconnecting')
        status.set(
          `Connection lost; resuming after event ${detail.lastEventId} (attempt ${detail.attempt})…`,
          'reconnecting',
        );
      if (state === 'streaming' && detail.attempt > 0)
        status.set('Connection restored; resumed where it left off.', 'resumed');
    },
  });
  current = stream;
  answer.dataset.requestId = stream.requestId ?? '';
  send.disabled = true;
  stop.disabled = false;
  const turn: TurnView = { answer, view, stats, status, provider, endReason: undefined };
  try {
    for await (const event of stream) presentEvent(event, turn);
    history.push({ role: 'user', content: text }, { role: 'assistant', content: view.text });
  } catch (error: unknown) {
    showError(describeError(error));
    answer.dataset.endReason = 'error';
  } finally {
    view.finish(turn.endReason ?? 'error');
    answer.classList.remove('streaming');
    answer.dataset.done = 'true';
    current = undefined;
    send.disabled = false;
    stop.disabled = true;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || current) return;
  question.value = '';
  void ask(text);
});

question.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

stop.addEventListener('click', () => {
  stop.disabled = true;
  current?.cancel().catch((error: unknown) => showError(describeError(error)));
});
