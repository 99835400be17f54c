import { internalFailureEvents } from './failure-events';
import type { LoggedEvent } from './logged-event';
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
}

/**
 * Replays a stream's stored events after `afterId`, then follows it live until its `end`. Works
 * the same for a stream this process runs and one that another instance runs. Ends early (with
 * no `end`) when the signal aborts or the stream expired; throws StreamLogUnavailableError when
 * storage fails, so the caller can close the response and let the client resume later.
 */
export async function* followStream(options: FollowOptions): AsyncGenerator<LoggedEvent> {
  const { log, requestId, signal } = options;
  // Watch before reading, so nothing appended between the read and the wait is missed.
  const watcher = await log.watch(requestId);
  let cursor = options.afterId;
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
      if (!meta) return; // expired while we waited
      if (meta.status === 'running' && !(await log.isInstanceAlive(meta.instanceId))) {
        const message = 'The server generating this stream stopped.';
        await log.closeAbandoned(requestId, cursor, internalFailureEvents(cursor + 1, message));
      }
    }
  } finally {
    watcher.close();
  }
}
