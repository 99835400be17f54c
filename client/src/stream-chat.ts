import { cancel } from './cancel.js';
import { ChatConnectionError, ChatStreamError } from './errors.js';
import type { ChatStreamEvent, ConnectionState, EndEvent } from './events.js';
import { refusal } from './refusal.js';
import { BodyReadError, sseMessages } from './sse-frames.js';
import { parseMessage, type ErrorEventData } from './to-event.js';

export interface ChatRequestBody {
  query?: string;
  messages?: { role: 'system' | 'user' | 'assistant'; content: string }[];
  system?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  onDisconnect?: 'cancel' | 'continue';
  /** Which pipeline answers (see `listPipelines`); the service's default is `chat`. */
  pipeline?: string;
}

export interface RetryOptions {
  /** Re-attach attempts in a row without progress before giving up (default 8). */
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Where re-attaching stands when the connection state changes. */
export interface ConnectionDetail {
  attempt: number;
  lastEventId: number;
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
  /** Called as the connection changes; should it throw, the stream stops with that error. */
  onConnectionChange?: (state: ConnectionState, detail: ConnectionDetail) => void;
  fetch?: typeof fetch;
}

/** Where reading has got to, carried across the responses of one stream (POST, re-attaches). */
interface Progress {
  lastEventId: number;
  attempt: number;
  /** The `error` event seen, thrown as ChatStreamError when its `end` arrives. */
  failure: ErrorEventData | undefined;
}

/** How one response's body ended: with the stream, or with the connection dropping first. */
type ReadOutcome = { complete: true } | { complete: false; cause: unknown };

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

/**
 * One chat stream. Iterate it for typed events (`start`, `token`, `reasoning`, `tool_call`,
 * `tool_result`, `data`, `usage`, `end`); an `error` event is thrown as ChatStreamError, a refused
 * request as ChatHttpError, a response that breaks the wire contract as ChatProtocolError.
 * Leaving the loop early closes the connection.
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

  /**
   * Calls `listener` with each token's text as it arrives. Should it throw, the stream stops
   * (connection closed) and the iteration rethrows that very error.
   */
  onToken(listener: (content: string, event: ChatStreamEvent) => void): this {
    this.tokenListeners.push(listener);
    return this;
  }

  /** Reads the whole stream and resolves with the answer's text: tokens only, no reasoning. */
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

  /**
   * Leaving the loop early (`break`, `return`, a throw in it or in a listener) closes the
   * connection: with the default onDisconnect "cancel" the server then stops the generation.
   */
  private async *run(): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const { signal } = this.options;
    const cancelOnServer = (): void => void this.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancelOnServer, { once: true });
    const progress: Progress = { lastEventId: -1, attempt: 0, failure: undefined };
    try {
      let response: Response | undefined = await this.post();
      while (response) {
        const before = progress.lastEventId;
        const outcome = yield* this.read(response, progress);
        if (outcome.complete) return;
        if (!this.options.resume || !this.id) {
          throw new ChatConnectionError(
            'The connection closed before the stream ended.',
            progress.lastEventId,
            { cause: outcome.cause },
          );
        }
        progress.attempt = progress.lastEventId > before ? 1 : progress.attempt + 1;
        // undefined on 204: the server has nothing more; the stream had ended
        response = await this.reattach(progress.lastEventId, progress.attempt);
      }
    } finally {
      signal?.removeEventListener('abort', cancelOnServer);
      this.options.onConnectionChange?.('closed', {
        attempt: progress.attempt,
        lastEventId: progress.lastEventId,
      });
    }
  }

  /**
   * Yields the new events of one response. Only a failed read of its body comes back as a drop
   * (to be mended by re-attaching); anything else is thrown as it is: the caller's own errors,
   * its abort, a ChatProtocolError, a ChatStreamError. Either way the body is cancelled.
   */
  private async *read(
    response: Response,
    progress: Progress,
  ): AsyncGenerator<ChatStreamEvent, ReadOutcome, undefined> {
    try {
      for await (const message of sseMessages(response.body as ReadableStream<Uint8Array>)) {
        const parsed = parseMessage(message);
        if (parsed.kind === 'done') return { complete: true };
        if (parsed.kind === 'ignored') continue;
        const id = parsed.kind === 'error' ? parsed.id : parsed.event.id;
        if (id <= progress.lastEventId) continue; // already seen before a reconnect
        progress.lastEventId = id;
        if (parsed.kind === 'error') {
          progress.failure = parsed.error;
          continue;
        }
        const { event } = parsed;
        this.observe(event);
        if (event.type === 'end' && progress.failure)
          throw this.streamError(progress.failure, event);
        yield event;
        if (event.type === 'end') return { complete: true };
      }
    } catch (error: unknown) {
      if (!(error instanceof BodyReadError)) throw error;
      // An aborted fetch fails its body read too: that is the caller stopping, not a drop.
      if (this.options.signal?.aborted) throw error.cause;
      return { complete: false, cause: error.cause };
    }
    return { complete: false, cause: undefined }; // the body ended before `end`: a drop too
  }

  /** Learns the id from `start` and tells the token listeners; a listener's throw propagates. */
  private observe(event: ChatStreamEvent): void {
    if (event.type === 'start') this.id ??= event.requestId;
    if (event.type === 'token')
      for (const listener of this.tokenListeners) listener(event.content, event);
  }

  /**
   * Reports a response as streaming. Its body is not being read yet, so should the caller's
   * callback throw, nothing else would close the connection: cancel it here.
   */
  private announceStreaming(response: Response, detail: ConnectionDetail): void {
    try {
      this.options.onConnectionChange?.('streaming', detail);
    } catch (error: unknown) {
      void response.body?.cancel().catch(() => undefined);
      throw error;
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
    this.announceStreaming(response, { attempt: 0, lastEventId: -1 });
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
      this.announceStreaming(response, { attempt, lastEventId });
      return response;
    }
  }
}

/** Starts a chat stream. Nothing is sent until it is iterated (or `text()` is called). */
export function streamChat(options: StreamChatOptions): ChatStream {
  return new ChatStream(options);
}
