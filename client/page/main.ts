import { ChatHttpError, ChatStreamError, streamChat, type ChatStream } from '../src/index.js';
import { renderMarkdown } from './render-markdown.js';
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
const status = byId<HTMLElement>('status');
const errorLine = byId<HTMLElement>('error');
const provider = byId<HTMLElement>('provider');
const apiKey = byId<HTMLInputElement>('api-key');

const history: Turn[] = [];
let current: ChatStream | undefined;

apiKey.value = sessionStorage.getItem('apiKey') ?? '';
apiKey.addEventListener('change', () => sessionStorage.setItem('apiKey', apiKey.value));

function setStatus(text: string, kind = ''): void {
  status.textContent = text;
  status.className = `status ${kind}`;
}

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

/** Re-renders at most once per frame: markdown of the whole answer so far. */
function renderer(target: HTMLElement): (text: string) => void {
  let pending = '';
  let scheduled = false;
  return (text) => {
    pending = text;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      target.innerHTML = renderMarkdown(pending);
      target.dataset.text = pending;
    });
  };
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
  const render = renderer(answer);
  const stats = new StreamStats();
  const headers: Record<string, string> = apiKey.value
    ? { Authorization: `Bearer ${apiKey.value}` }
    : {};
  const stream = streamChat({
    baseUrl: '',
    headers,
    resume: true,
    body: { messages: [...history, { role: 'user', content: text }] },
    onConnectionChange: (state, detail) => {
      if (state === 'reconnecting')
        setStatus(
          `Connection lost; resuming after event ${detail.lastEventId} (attempt ${detail.attempt})…`,
          'reconnecting',
        );
      if (state === 'streaming' && detail.attempt > 0)
        setStatus('Connection restored; resumed where it left off.', 'resumed');
    },
  });
  current = stream;
  answer.dataset.requestId = stream.requestId ?? '';
  send.disabled = true;
  stop.disabled = false;
  let content = '';
  try {
    for await (const event of stream) {
      if (event.type === 'start') provider.textContent = `${event.provider} · ${event.model}`;
      if (event.type === 'token') {
        content += event.content;
        stats.token();
        render(content);
        if (!status.classList.contains('reconnecting')) setStatus(stats.describe());
      }
      if (event.type === 'usage') stats.usage = event;
      if (event.type === 'end') {
        answer.dataset.endReason = event.reason;
        setStatus(
          `${stats.describe()}${event.reason === 'stop' ? '' : ` · ended: ${event.reason}`}`,
        );
      }
    }
    history.push({ role: 'user', content: text }, { role: 'assistant', content });
  } catch (error: unknown) {
    showError(describeError(error));
    answer.dataset.endReason = 'error';
  } finally {
    render(content);
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
