import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { StreamMetrics } from '../metrics/stream-metrics';
import type { StreamRenderer } from '../protocol/stream-renderer';
import { SseWriter } from '../sse/sse-writer';
import { followStream } from '../stream-log/follow-stream';
import { StreamLog } from '../stream-log/stream-log';
import type { StreamMeta } from '../stream-log/stream-meta';

/** How often an idle attached reader checks that the stream's instance is still alive. */
const FOLLOW_POLL_MS = 1_000;
/** How long that instance must stay missing before its stream is closed (see followStream). */
const INSTANCE_DEAD_AFTER_MS = 2_000;

export interface FollowRequest {
  /** The stream's meta, already checked to belong to the caller. */
  meta: StreamMeta;
  /** The id the client knows (unscoped), for the X-Request-Id header. */
  requestId: string;
  /** Replay events after this id; -1 for all. */
  afterId: number;
  /** The wire view of this response. */
  renderer: StreamRenderer;
  /**
   * What a client that already has the whole stream gets: `204` (which stops an EventSource), or
   * the `end` event once more, for htmx, whose SSE extensions reconnect after a 204 but close on
   * their `end` event.
   */
  whenComplete?: 'no-content' | 'resend-end';
}

/**
 * Serves a stream from the log on one response: what was missed, then the live tail until `end`.
 * Used by attach, resume and EventSource reconnects, whichever instance runs the generation.
 */
@Injectable()
export class StreamFollower {
  private readonly logger = new Logger(StreamFollower.name);

  constructor(
    private readonly log: StreamLog,
    private readonly shutdown: ShutdownState,
    private readonly metrics: StreamMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async serve(res: Response, follow: FollowRequest): Promise<void> {
    const { meta, requestId, renderer } = follow;
    let { afterId } = follow;
    const complete =
      meta.status === 'finished' && (await this.log.range(meta.requestId, afterId, 1)).length === 0;
    if (complete && follow.whenComplete !== 'resend-end') {
      // The client has everything: 204 also tells an EventSource to stop reconnecting.
      res.status(204).end();
      return;
    }
    // Its last event is the `end` (the client named it as the last it has): send it again.
    if (complete) afterId -= 1;
    const reader = new AbortController();
    const stopReading = (): void => reader.abort();
    res.on('close', stopReading);
    const unregister = this.shutdown.onClosing(stopReading);
    const writer = new SseWriter(res, {
      requestId,
      renderer,
      heartbeatMs: this.config.stream.heartbeatMs,
      stallTimeoutMs: this.config.stream.slowClientTimeoutMs,
    });
    writer.open();
    try {
      const events = followStream({
        log: this.log,
        requestId: meta.requestId,
        afterId: renderer.needsHistory ? -1 : afterId,
        signal: reader.signal,
        pollMs: FOLLOW_POLL_MS,
        deadAfterMs: INSTANCE_DEAD_AFTER_MS,
      });
      for await (const event of events) {
        if (event.id <= afterId) {
          writer.skip(event);
          continue;
        }
        const backpressure = writer.write(event);
        if (backpressure) await backpressure;
      }
    } catch (error: unknown) {
      // Storage failed mid-follow: close without [DONE]; the client resumes from its last id.
      this.metrics.logReadFailed();
      this.logger.warn(
        `stream ${requestId}: reading the stream log failed after event ${String(writer.lastEventId ?? afterId)}: ${String(error)}`,
      );
    } finally {
      unregister();
      // Without its end the client must know to resume: cut the response, no [DONE]. end() also
      // stops the heartbeat timer, which would otherwise hold the response for HEARTBEAT_MS.
      if (!writer.endSeen) res.destroy();
      writer.end();
    }
  }
}
