import { cancel } from './cancel.js';
import { ChatConnectionError, ChatHttpError, ChatStreamError } from './errors.js';
import type { ChatStreamEvent, ConnectionState, EndEvent } from './events.js';
import { sseMessages } from './sse-frames.js';
import { parseMessage, type ErrorEventData } from './to-event.js';

export interface ChatRequestBody {
  query?: string;
  messages?: { role: 'system' | 'user' | 'assistant'; content: string }[];
  system?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  onDisconnect?: 'cancel' | 'continue';
}

export interface RetryOptions {
  /** Re-attach attempts in a row without progress before giving up (default 8). */
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface StreamChatOptions {
  /** Where the service is, e.g. `https://chat.example.com` or `''` for the same origin. */
  baseUrl: string;
  body: ChatRequestBody;
  /** Sent as X-Request-Id. With `resume`, one is generated when absent. */
  requestId?: string;
  headers?: Record<string, string>;
  /** Aborting it stops reading and cancels the generation on the server too. */
  signal?: AbortSignal;
  /**
   * Survive dropped connections: the POST goes out with `onDisconnect: "continue"`, and after a
   * drop the client re-attaches with `GET /api/chat/streams/{id}` + `Last-Event-ID`. It never
   * re-sends the POST, so an answer is never generated (or paid for) twice.
   */
  resume?: boolean;
  retry?: RetryOptions;
  onConnectionChange?: (
    state: ConnectionState,
    detail: { attempt: number; lastEventId: number },
  ) => void;
  fetch?: typeof fetch;
}

const delay = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      const reason: unknown = signal?.reason;
      reject(reason instanceof Error ? reason : new DOMException('Aborted', 'AbortError'));
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });

async function refusal(response: Response): Promise<ChatHttpError> {
  const body: unknown = await response.json().catch(() => undefined);
  const message = (body as { message?: unknown } | undefined)?.message;
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : `HTTP ${response.status}`;
  return new ChatHttpError(response.status, text, body);
}

/**
 * One chat stream. Iterate it for typed events (`start`, `token`, `usage`, `end`); an `error`
 * event is thrown as ChatStreamError, a refused request as ChatHttpError.
 */
export class ChatStream implements AsyncIterable<ChatStreamEvent> {
  private id: string | undefined;
  private readonly tokenListeners: ((content: string, event: ChatStreamEvent) => void)[] = [];
  private readonly doFetch: typeof fetch;
  private started = false;

  constructor(private readonly options: StreamChatOptions) {
    this.id = options.requestId ?? (options.resume ? globalThis.crypto.randomUUID() : undefined);
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The stream's id: known at once with `resume` or a given id, else once the headers arrive. */
  get requestId(): string | undefined {
    return this.id;
  }

  /** Calls `listener` with each token's text as it arrives. */
  onToken(listener: (content: string, event: ChatStreamEvent) => void): this {
    this.tokenListeners.push(listener);
    return this;
  }

  /** Reads the whole stream and resolves with the answer's text. */
  async text(): Promise<string> {
    let text = '';
    for await (const event of this) if (event.type === 'token') text += event.content;
    return text;
  }

  /** Cancels the generation on the server. */
  cancel(): Promise<boolean> {
    if (!this.id) return Promise.reject(new Error('the request id is not known yet'));
    return cancel(this.id, {
      baseUrl: this.options.baseUrl,
      headers: this.options.headers,
      fetch: this.doFetch,
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatStreamEvent> {
    if (this.started) throw new Error('a ChatStream can be read once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const { signal } = this.options;
    const cancelOnServer = (): void => void this.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancelOnServer, { once: true });
    let lastEventId = -1;
    let attempt = 0;
    let failure: ErrorEventData | undefined;
    try {
      let response: Response | undefined = await this.post();
      for (;;) {
        const before = lastEventId;
        try {
          for await (const message of sseMessages(response.body as ReadableStream<Uint8Array>)) {
            const parsed = parseMessage(message);
            if (parsed.kind === 'done') return;
            if (parsed.kind === 'ignored') continue;
            const id = parsed.kind === 'error' ? parsed.id : parsed.event.id;
            if (id <= lastEventId) continue; // already seen before a reconnect
            lastEventId = id;
            if (parsed.kind === 'error') {
              failure = parsed.error;
              continue;
            }
            const { event } = parsed;
            if (event.type === 'start') this.id ??= event.requestId;
            if (event.type === 'token')
              for (const listener of this.tokenListeners) listener(event.content, event);
            if (event.type === 'end' && failure) throw this.streamError(failure, event);
            yield event;
            if (event.type === 'end') return;
          }
        } catch (error: unknown) {
          if (signal?.aborted || error instanceof ChatStreamError) throw error;
          // A network failure mid-body: treated as a drop below.
        }
        if (!this.options.resume || !this.id) {
          throw new ChatConnectionError(
            'The connection closed before the stream ended.',
            lastEventId,
          );
        }
        attempt = lastEventId > before ? 1 : attempt + 1;
        response = await this.reattach(lastEventId, attempt);
        if (!response) return; // 204: the server has nothing more; the stream had ended
      }
    } finally {
      signal?.removeEventListener('abort', cancelOnServer);
      this.options.onConnectionChange?.('closed', { attempt, lastEventId });
    }
  }

  private streamError(failure: ErrorEventData, end: EndEvent): ChatStreamError {
    return new ChatStreamError(failure.code, failure.message, failure.retryable, end.reason);
  }

  private async post(): Promise<Response> {
    const { body, resume } = this.options;
    this.options.onConnectionChange?.('connecting', { attempt: 0, lastEventId: -1 });
    const response = await this.doFetch(`${this.options.baseUrl}/api/chat/stream`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
        ...(this.id ? { 'X-Request-Id': this.id } : {}),
        ...this.options.headers,
      },
      body: JSON.stringify(resume ? { ...body, onDisconnect: 'continue' } : body),
      signal: this.options.signal,
    });
    if (!response.ok || !response.body) throw await refusal(response);
    this.id ??= response.headers.get('X-Request-Id') ?? undefined;
    this.options.onConnectionChange?.('streaming', { attempt: 0, lastEventId: -1 });
    return response;
  }

  /** GET /api/chat/streams/{id} with Last-Event-ID, with backoff; undefined on 204. */
  private async reattach(lastEventId: number, firstAttempt: number): Promise<Response | undefined> {
    const { maxRetries = 8, initialDelayMs = 250, maxDelayMs = 4000 } = this.options.retry ?? {};
    for (let attempt = firstAttempt; ; attempt++) {
      if (attempt > maxRetries) {
        throw new ChatConnectionError(
          `Could not resume after ${maxRetries} attempts.`,
          lastEventId,
        );
      }
      this.options.onConnectionChange?.('reconnecting', { attempt, lastEventId });
      const backoff = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      await delay(backoff * (0.75 + Math.random() * 0.5), this.options.signal);
      let response: Response;
      try {
        response = await this.doFetch(
          `${this.options.baseUrl}/api/chat/streams/${encodeURIComponent(this.id ?? '')}`,
          {
            headers: {
              Accept: 'text/event-stream',
              'Last-Event-ID': String(lastEventId),
              ...this.options.headers,
            },
            signal: this.options.signal,
          },
        );
      } catch (error: unknown) {
        if (this.options.signal?.aborted) throw error;
        continue; // still offline
      }
      if (response.status === 204) return undefined;
      if (response.status === 503) continue; // storage briefly unavailable: try again
      if (!response.ok || !response.body) throw await refusal(response);
      this.options.onConnectionChange?.('streaming', { attempt, lastEventId });
      return response;
    }
  }
}

/** Starts a chat stream. Nothing is sent until it is iterated (or `text()` is called). */
export function streamChat(options: StreamChatOptions): ChatStream {
  return new ChatStream(options);
}
