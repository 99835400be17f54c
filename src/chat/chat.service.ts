import { Inject, Injectable, Logger } from '@nestjs/common';
import { abortKindOf, StreamAbortReason } from '../abort/stream-abort-reason';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { streamChatChunks } from '../llm/stream-chat-chunks';
import type { ChatEvent, UsageData } from './chat-event';
import { ChatEventSequence } from './chat-event-sequence';
import type { ChatRequest } from './chat-request';
import { addUsage, chunkText, stoppedForLength } from './chunk-reading';
import { IdleWatchdog } from './idle-watchdog';
import { toLangChainMessages } from './to-langchain-messages';
import { toUpstreamErrorData } from './upstream-error';

export interface ChatStreamOptions {
  requestId: string;
  request: ChatRequest;
  /** Aborting it closes the upstream HTTP request; its reason decides the `end` reason. */
  signal: AbortSignal;
}

/**
 * Turns a chat request into the stream's events: `start`, one token per chunk with text,
 * `usage` when the provider reports it, at most one `error`, and always exactly one `end`.
 * Knows nothing of HTTP.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly models: ChatModelRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async *stream(options: ChatStreamOptions): AsyncGenerator<ChatEvent, void, undefined> {
    const { requestId, request } = options;
    const sequence = new ChatEventSequence();
    yield sequence.make('start', {
      requestId,
      model: request.model,
      provider: this.models.provider,
      createdAt: new Date().toISOString(),
    });
    // Our own controller, so the idle timeout can abort the upstream call too.
    const upstream = new AbortController();
    const forwardAbort = (): void => upstream.abort(options.signal.reason);
    options.signal.addEventListener('abort', forwardAbort, { once: true });
    if (options.signal.aborted) forwardAbort();
    const watchdog = new IdleWatchdog(this.config.stream.idleTimeoutMs, () =>
      upstream.abort(new StreamAbortReason('timeout')),
    );
    let usage: UsageData | undefined;
    try {
      // Aborted before the model was called (the client left while the stream was being set
      // up): end without making the upstream request at all.
      if (upstream.signal.aborted) {
        yield* this.failureEvents(sequence, undefined, upstream.signal, requestId);
        return;
      }
      let hitLength = false;
      const model = this.models.get(request);
      const messages = toLangChainMessages(request.messages);
      for await (const chunk of streamChatChunks(model, messages, upstream.signal)) {
        watchdog.chunkArrived();
        const content = chunkText(chunk);
        if (content.length > 0) yield sequence.make('token', { content });
        usage = addUsage(usage, chunk);
        hitLength ||= stoppedForLength(chunk);
        watchdog.waitAgain();
      }
      // Some providers return quietly when aborted (ChatAnthropic always, ChatOpenAI with a
      // chunk buffered): the signal, not the way the loop ended, says whether this was a finish.
      if (upstream.signal.aborted) {
        yield* this.failureEvents(sequence, undefined, upstream.signal, requestId);
        return;
      }
      if (usage) yield sequence.make('usage', usage);
      yield sequence.make('end', { reason: hitLength ? 'length' : 'stop' });
    } catch (error: unknown) {
      yield* this.failureEvents(sequence, error, upstream.signal, requestId);
    } finally {
      watchdog.stop();
      options.signal.removeEventListener('abort', forwardAbort);
    }
  }

  private *failureEvents(
    sequence: ChatEventSequence,
    error: unknown,
    signal: AbortSignal,
    requestId: string,
  ): Generator<ChatEvent> {
    switch (abortKindOf(signal)) {
      case 'cancelled':
      case 'client_gone':
        yield sequence.make('end', { reason: 'cancelled' });
        return;
      case 'timeout':
        yield sequence.make('error', {
          code: 'upstream_timeout',
          message: `The model sent nothing for ${this.config.stream.idleTimeoutMs} ms.`,
          retryable: true,
        });
        yield sequence.make('end', { reason: 'timeout' });
        return;
      case 'shutdown':
        yield sequence.make('error', {
          code: 'shutting_down',
          message: 'The server is restarting; please retry.',
          retryable: true,
        });
        yield sequence.make('end', { reason: 'shutdown' });
        return;
      case undefined: {
        const data = toUpstreamErrorData(error);
        this.logger.warn(`stream ${requestId} failed upstream: ${describe(error)}`);
        yield sequence.make('error', data);
        yield sequence.make('end', { reason: 'error' });
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
