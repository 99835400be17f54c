import { ConflictException, Injectable, Logger } from '@nestjs/common';
import { AbortService, type StreamLease } from '../abort/abort.service';
import { streamKey } from '../auth/stream-key';
import type { AdmissionTicket } from '../lifecycle/admission-ticket';
import { InstanceId } from '../lifecycle/instance-id';
import { StreamMetrics } from '../metrics/stream-metrics';
import { internalFailureEvents } from '../protocol/failure-events';
import { toStoredEvent, type StoredEvent } from '../protocol/stored-event';
import { StreamLog } from '../stream-log/stream-log';
import type { ChatRequest } from './chat-request';
import { ChatService } from './chat.service';

export interface StartOptions {
  requestId: string;
  request: ChatRequest;
  owner: string | undefined;
  /** The place StreamAdmission reserved; released when the stream ends, or here on refusal. */
  ticket: AdmissionTicket;
}

/** A generation that has been admitted and logged; iterate `events` to run it. */
export interface StartedStream {
  requestId: string;
  /** Its name in the stream log and the abort service (the id scoped to its owner). */
  key: string;
  lease: StreamLease;
  /** Every event, framed, in order; each is in the stream log before it is yielded. */
  events: AsyncGenerator<StoredEvent, void, undefined>;
  /**
   * Ends a stream whose events were never read (its generator never ran, so its `finally`
   * never would): aborts it and runs it to its `end` in the background, which costs no upstream
   * call, writes `start` + `end: cancelled` to the log and releases the lease and the ticket.
   * A no-op once `events` has been read.
   */
  abandon(): void;
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
    const { requestId, ticket } = options;
    const key = streamKey(options.owner, requestId);
    let lease: StreamLease | undefined;
    try {
      const created = await this.log.create({
        requestId: key,
        owner: options.owner,
        instanceId: this.instance.id,
        createdAt: Date.now(),
      });
      lease = created ? this.aborts.register(key) : undefined;
    } catch (error: unknown) {
      ticket.release();
      throw error;
    }
    if (!lease) {
      ticket.release();
      throw new ConflictException(`X-Request-Id "${requestId}" is already in use.`);
    }
    this.metrics.streamStarted();
    let begun = false;
    const events = this.run(options, key, lease, () => (begun = true));
    return {
      requestId,
      key,
      lease,
      events,
      abandon: () => {
        if (begun) return;
        lease.abort('client_gone');
        void this.runDetached(events);
      },
    };
  }

  /** Runs a stream nobody reads live (detached): it goes to the log only. */
  async runDetached(events: AsyncIterable<StoredEvent>): Promise<void> {
    for await (const event of events) void event;
  }

  private async *run(
    options: StartOptions,
    key: string,
    lease: StreamLease,
    markBegun: () => void,
  ): AsyncGenerator<StoredEvent, void, undefined> {
    markBegun();
    const { requestId, request } = options;
    const startedAt = performance.now();
    let tokens = 0;
    let last: StoredEvent | undefined;
    try {
      const events = this.chat.stream({
        requestId,
        request,
        owner: options.owner,
        signal: lease.signal,
      });
      for await (const event of events) {
        if (event.type === 'token' && tokens++ === 0) {
          this.metrics.firstToken((performance.now() - startedAt) / 1000);
        }
        last = toStoredEvent(event);
        this.log.append(key, last);
        yield last;
        if (event.type === 'end') this.metrics.streamEnded(event.data.reason, tokens);
      }
    } catch (error: unknown) {
      // ChatService ends every stream itself; this only keeps a bug from leaving clients hanging.
      this.logger.error(`stream ${requestId} broke: ${String(error)}`);
      if (last?.type !== 'end') {
        this.metrics.streamEnded('error', tokens);
        for (const event of internalFailureEvents((last?.id ?? -1) + 1, 'The server failed.')) {
          this.log.append(key, event);
          yield event;
        }
      }
    } finally {
      lease.release();
      options.ticket.release();
      void this.log.finish(key);
    }
  }
}
