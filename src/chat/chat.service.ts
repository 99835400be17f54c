import { Inject, Injectable, Logger } from '@nestjs/common';
import { abortKindOf, StreamAbortReason } from '../abort/stream-abort-reason';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { PipelineStreams } from '../pipelines/pipeline-streams';
import type { ChatEvent } from '../protocol/chat-event';
import type { ChatEventSequence } from '../protocol/chat-event-sequence';
import type { ChatRequest } from './chat-request';
import { EventCollector } from './event-collector';
import { IdleWatchdog } from './idle-watchdog';
import { toUpstreamErrorData } from './upstream-error';

export interface ChatStreamOptions {
  requestId: string;
  request: ChatRequest;
  owner?: string;
  /** Aborting it closes the upstream HTTP request; its reason decides the `end` reason. */
  signal: AbortSignal;
}

/**
 * Turns a chat request into the stream's events: `start`; then answer tokens, reasoning, tool
 * calls and results and custom data as the pipeline streams them; `usage` when the provider
 * reports it; at most one `error`; and always exactly one `end`. Knows nothing of HTTP.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly models: ChatModelRegistry,
    private readonly pipelines: PipelineStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async *stream(options: ChatStreamOptions): AsyncGenerator<ChatEvent, void, undefined> {
    const { requestId, request } = options;
    const collector = new EventCollector();
    const { sequence } = collector;
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
    let drained = false;
    try {
      // Aborted before the pipeline ran (the client left while the stream was being set up):
      // end without making the upstream request at all.
      if (upstream.signal.aborted) {
        yield* this.failureEvents(sequence, undefined, upstream.signal, requestId);
        return;
      }
      const source = await this.pipelines.open({
        request,
        requestId,
        owner: options.owner,
        signal: upstream.signal,
      });
      for await (const item of source.items) {
        watchdog.chunkArrived();
        source.read(item, collector);
        const events = collector.take();
        for (let index = 0; index < events.length; index++) yield events[index];
        collector.clear();
        if (collector.malformedToolCallSeen) break;
        watchdog.waitAgain();
      }
      drained = !collector.malformedToolCallSeen;
      // Some providers return quietly when aborted (ChatAnthropic always, ChatOpenAI with a
      // chunk buffered): the signal, not the way the loop ended, says whether this was a finish.
      if (upstream.signal.aborted) {
        yield* this.failureEvents(sequence, undefined, upstream.signal, requestId);
        return;
      }
      if (collector.malformedToolCallSeen) {
        yield* this.malformedToolCallEvents(sequence, requestId);
        return;
      }
      const usage = collector.totalUsage();
      if (usage) yield sequence.make('usage', usage);
      yield sequence.make('end', { reason: collector.hitLength ? 'length' : 'stop' });
    } catch (error: unknown) {
      yield* this.failureEvents(sequence, error, upstream.signal, requestId);
    } finally {
      watchdog.stop();
      options.signal.removeEventListener('abort', forwardAbort);
      // Left early (a malformed tool call, or the consumer stopped reading): stop whatever the
      // pipeline still runs in the background, such as a graph step or a tool.
      if (!drained && !upstream.signal.aborted) upstream.abort(new StreamAbortReason('cancelled'));
    }
  }

  private *malformedToolCallEvents(
    sequence: ChatEventSequence,
    requestId: string,
  ): Generator<ChatEvent> {
    this.logger.warn(`stream ${requestId}: the model sent a tool call with malformed arguments`);
    yield sequence.make('error', {
      code: 'upstream_bad_response',
      message: 'The model sent a tool call whose arguments could not be read.',
      retryable: true,
    });
    yield sequence.make('end', { reason: 'error' });
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
