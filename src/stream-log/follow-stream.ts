import { internalFailureEvents } from '../protocol/failure-events';
import type { StoredEvent } from '../protocol/stored-event';
import type { StreamLog } from './stream-log';

const BATCH = 500;

export interface FollowOptions {
  log: StreamLog;
  requestId: string;
  /** Replay events after this id; -1 for all. */
  afterId: number;
  signal: AbortSignal;
  /** How long to wait for a wake-up before checking the stream is still alive. */
  pollMs: number;
  /**
   * How long the generating instance must stay missing, as seen by this reader, before the
   * stream is closed as abandoned. After a Redis outage longer than the instance lease every
   * heartbeat key has lapsed; the instance that comes back a moment later than this reader's
   * must not find its live stream closed under it.
   */
  deadAfterMs: number;
}

/**
 * Replays a stream's stored events after `afterId`, then follows it live until its `end`. Works
 * the same for a stream this process runs and one that another instance runs. Ends early (with
 * no `end`) when the signal aborts; closes a stream whose instance died (error + end); throws
 * StreamLogUnavailableError when
 * storage fails, so the caller can close the response and let the client resume later.
 */
export async function* followStream(options: FollowOptions): AsyncGenerator<StoredEvent> {
  const { log, requestId, signal } = options;
  // Watch before reading, so nothing appended between the read and the wait is missed.
  const watcher = await log.watch(requestId);
  let cursor = options.afterId;
  let missingSince: number | undefined;
  try {
    while (!signal.aborted) {
      const batch = await log.range(requestId, cursor, BATCH);
      for (const event of batch) {
        cursor = event.id;
        yield event;
        if (event.type === 'end') return;
      }
      if (batch.length === BATCH) continue;
      const woke = await watcher.changed(options.pollMs, signal);
      if (woke || signal.aborted) continue;
      const meta = await log.meta(requestId);
      if (!meta) {
        // Its keys lapsed before its end was written (its instance died and nobody closed it
        // within STREAM_TTL_S): end this reader cleanly rather than cutting it off.
        yield* internalFailureEvents(cursor + 1, 'The server generating this stream stopped.');
        return;
      }
      if (meta.status !== 'running' || (await log.isInstanceAlive(meta.instanceId))) {
        missingSince = undefined;
        continue;
      }
      missingSince ??= Date.now();
      if (Date.now() - missingSince >= options.deadAfterMs) {
        const message = 'The server generating this stream stopped.';
        await log.closeAbandoned(requestId, cursor, internalFailureEvents(cursor + 1, message));
      }
    }
  } finally {
    watcher.close();
  }
}
