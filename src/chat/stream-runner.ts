import { ConflictException, Injectable, Logger } from '@nestjs/common';
import { AbortService, type StreamLease } from '../abort/abort.service';
import { InstanceId } from '../lifecycle/instance-id';
import { StreamMetrics } from '../metrics/stream-metrics';
import { internalFailureEvents } from '../stream-log/failure-events';
import { toLoggedEvent, type LoggedEvent } from '../stream-log/logged-event';
import { StreamLog } from '../stream-log/stream-log';
import type { ChatRequest } from './chat-request';
import { ChatService } from './chat.service';

export interface StartOptions {
  requestId: string;
  request: ChatRequest;
  owner: string | undefined;
}

/** A generation that has been admitted and logged; iterate `events` to run it. */
export interface StartedStream {
  requestId: string;
  lease: StreamLease;
  /** Every event, framed, in order; each is in the stream log before it is yielded. */
  events: AsyncGenerator<LoggedEvent, void, undefined>;
}

/**
 * Starts generations: claims the id in the stream log (409 when taken), registers the abort
 * lease, and runs ChatService with every event appended to the log, so any client, here or on
 * another instance, can attach or resume.
 */
@Injectable()
export class StreamRunner {
  private readonly logger = new Logger(StreamRunner.name);

  constructor(
    private readonly chat: ChatService,
    private readonly log: StreamLog,
    private readonly aborts: AbortService,
    private readonly instance: InstanceId,
    private readonly metrics: StreamMetrics,
  ) {}

  /** Throws ConflictException for a taken id, StreamLogUnavailableError when storage is down. */
  async start(options: StartOptions): Promise<StartedStream> {
    const { requestId } = options;
    const created = await this.log.create({
      requestId,
      owner: options.owner,
      instanceId: this.instance.id,
      createdAt: Date.now(),
    });
    const lease = created ? this.aborts.register(requestId, options.owner) : undefined;
    if (!lease) throw new ConflictException(`X-Request-Id "${requestId}" is already in use.`);
    this.metrics.streamStarted();
    return { requestId, lease, events: this.run(options, lease) };
  }

  /** Runs a stream nobody reads live (detached): it goes to the log only. */
  async runDetached(stream: StartedStream): Promise<void> {
    for await (const event of stream.events) void event;
  }

  private async *run(
    options: StartOptions,
    lease: StreamLease,
  ): AsyncGenerator<LoggedEvent, void, undefined> {
    const { requestId, request } = options;
    const startedAt = performance.now();
    let tokens = 0;
    let last: LoggedEvent | undefined;
    try {
      for await (const event of this.chat.stream({ requestId, request, signal: lease.signal })) {
        if (event.type === 'token' && tokens++ === 0) {
          this.metrics.firstToken((performance.now() - startedAt) / 1000);
        }
        last = toLoggedEvent(event);
        this.log.append(requestId, last);
        yield last;
        if (event.type === 'end') this.metrics.streamEnded(event.data.reason, tokens);
      }
    } catch (error: unknown) {
      // ChatService ends every stream itself; this only keeps a bug from leaving clients hanging.
      this.logger.error(`stream ${requestId} broke: ${String(error)}`);
      if (last?.type !== 'end') {
        this.metrics.streamEnded('error', tokens);
        for (const event of internalFailureEvents((last?.id ?? -1) + 1, 'The server failed.')) {
          this.log.append(requestId, event);
          yield event;
        }
      }
    } finally {
      lease.release();
      void this.log.finish(requestId);
    }
  }
}
