import type { StoredEvent } from '../protocol/stored-event';
import type { NewStream, StreamMeta } from './stream-meta';
import type { StreamWatcher } from './stream-watcher';

/** Thrown when the log's storage cannot be reached; callers answer 503. */
export class StreamLogUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the stream log is unavailable', { cause });
    this.name = 'StreamLogUnavailableError';
  }
}

/**
 * The events of every stream, kept from its start until STREAM_TTL_S after its end, so clients
 * can resume, join late, or attach from another instance. Used as the DI token; implemented in
 * memory and on Redis Streams, both held to one contract suite.
 */
export abstract class StreamLog {
  /** Claims the id for a new stream: false when that id is running or still held. */
  abstract create(stream: NewStream): Promise<boolean>;

  /**
   * Queues an event of a running stream. Never throws and never waits on storage: a running
   * stream keeps flowing to its own client even when storage is down.
   */
  abstract append(requestId: string, event: StoredEvent): void;

  /** Marks the stream finished after the events appended so far, and starts its TTL. */
  abstract finish(requestId: string): Promise<void>;

  abstract meta(requestId: string): Promise<StreamMeta | undefined>;

  /** Stored events with an id greater than `afterId`, in order, at most `limit` of them. */
  abstract range(requestId: string, afterId: number, limit: number): Promise<StoredEvent[]>;

  /** Starts watching a stream for appends; see StreamWatcher. */
  abstract watch(requestId: string): Promise<StreamWatcher>;

  /** Whether the instance that runs a stream is still alive. */
  abstract isInstanceAlive(instanceId: string): Promise<boolean>;

  /**
   * Appends `events` and marks the stream finished, only if its last stored event is `afterId`.
   * Lets a reader close a stream whose instance died, once, whichever reader gets there first.
   */
  abstract closeAbandoned(
    requestId: string,
    afterId: number,
    events: StoredEvent[],
  ): Promise<boolean>;

  /**
   * Points `alias` at a stream, so a client that knows only the alias (an AI SDK chat id) finds
   * its latest generation. The alias lives as long as that stream is kept.
   */
  abstract setAlias(alias: string, requestId: string): Promise<void>;
  /** The stream `alias` points at, while that stream is kept. */
  abstract resolveAlias(alias: string): Promise<string | undefined>;
  /** False while storage is unreachable; readiness reports it. */
  abstract isHealthy(): boolean;

  /** Write batches that failed since start (they are retried); a metric. */
  get appendFailures(): number {
    return 0;
  }
}
