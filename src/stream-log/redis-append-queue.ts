import { ReplyError } from 'ioredis';
import type { RedisConnection } from '../redis/redis-clients';
import type { StoredEvent } from '../protocol/stored-event';
import { withAppendEvents, type AppendEventsCommand } from './redis-append-script';
import { entryId, redisKeys } from './redis-keys';

/** A stream's writes that are not yet known to be stored. */
interface PendingStream {
  events: StoredEvent[];
  finish: boolean;
  /** Settled when the finish is stored (or given up on). */
  finished?: { promise: Promise<void>; resolve: () => void };
}

export interface AppendQueueOptions {
  redis: RedisConnection;
  /** A Redis Cluster: wake-ups are `SPUBLISH`, not `PUBLISH`. */
  sharded: boolean;
  ttlSeconds: number;
  /** Called once per failed write batch, with the error. */
  onFailure: (error: unknown) => void;
  /** Above this many unstored events a stream stops being logged (its log is then incomplete). */
  maxPendingPerStream: number;
}

const RETRY_MS = 250;
/** Entries per script call: a backlog after an outage must not hold Redis for long at once. */
const ENTRIES_PER_CALL = 500;

/**
 * Errors Redis answers while a server restarts (LOADING) or a cluster's slot map changes (MOVED,
 * ASK, TRYAGAIN, CLUSTERDOWN: a master just came back or failed over): the write will land when
 * retried. ioredis redirects single commands itself, not those batched in an auto-pipeline.
 * NOSCRIPT: a restarted server lost its script cache while ioredis believed the script loaded on
 * that connection (its EVAL had been refused, e.g. with CLUSTERDOWN); the NOSCRIPT reply makes
 * ioredis send the whole script with the next call.
 */
const TRANSIENT_REPLY = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|NOSCRIPT)\b/;

/** Redis answered, and said no: retrying the same command cannot help. */
function refusedByRedis(error: unknown): boolean {
  // ioredis types ReplyError loosely: `instanceof` alone does not narrow `error`.
  return (
    error instanceof ReplyError && error instanceof Error && !TRANSIENT_REPLY.test(error.message)
  );
}

/**
 * Batches the appends of one tick into one round trip (ioredis auto-pipelining sends the
 * commands of a tick together), keeps writes that failed and retries them in order, so an outage
 * leaves no gap: explicit entry ids make a retry of a stored event a harmless no-op.
 *
 * A stream's write is one script call (its entries, TTL, finish and wake-up), whatever the
 * number of entries. Every ioredis command costs a few KB of short-lived objects that live until
 * Redis answers, long enough to be promoted to V8's old space under load: a command per entry
 * plus an EXPIRE pair per write made the Redis log's process grow far beyond the memory log's.
 */
export class RedisAppendQueue {
  private readonly pending = new Map<string, PendingStream>();
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Streams whose log was abandoned because too much piled up during an outage. */
  private readonly abandoned = new Set<string>();
  /** Running streams whose events key has its TTL: the log's renewal timer keeps it from now. */
  private readonly withTtl = new Set<string>();

  private readonly redis: AppendEventsCommand;

  constructor(private readonly options: AppendQueueOptions) {
    this.redis = withAppendEvents(options.redis, options.sharded);
    // A Redis that restarted may have lost the keys: the next write of each stream sets the TTL
    // again, since an XADD recreates the events key without one.
    options.redis.on('ready', () => this.withTtl.clear());
  }

  append(requestId: string, event: StoredEvent): void {
    if (this.abandoned.has(requestId)) return;
    const stream = this.entry(requestId);
    stream.events.push(event);
    if (stream.events.length > this.options.maxPendingPerStream) {
      this.pending.delete(requestId);
      this.abandoned.add(requestId);
      this.withTtl.delete(requestId);
      stream.finished?.resolve();
      return;
    }
    this.schedule();
  }

  finish(requestId: string): Promise<void> {
    if (this.abandoned.delete(requestId)) return Promise.resolve();
    const stream = this.entry(requestId);
    stream.finish = true;
    if (!stream.finished) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((done) => (resolve = done));
      stream.finished = { promise, resolve };
    }
    this.schedule();
    return stream.finished.promise;
  }

  /** Writes everything pending now; used at shutdown. */
  /** Set once drained for shutdown: no retry may be scheduled after that. */
  private closed = false;

  async drain(deadline: number): Promise<void> {
    while (this.pending.size > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.pending.size > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    // A write still in flight may fail after this; it must not start retrying forever.
    await this.flushing;
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private entry(requestId: string): PendingStream {
    let stream = this.pending.get(requestId);
    if (!stream) {
      stream = { events: [], finish: false };
      this.pending.set(requestId, stream);
    }
    return stream;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: after every token of this tick has been queued.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    // One flush at a time keeps each stream's writes in order.
    if (this.flushing) {
      return this.flushing.then(() => (this.pending.size > 0 ? this.flush() : undefined));
    }
    this.flushing = this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    const batch = [...this.pending.entries()];
    this.pending.clear();
    const results = await Promise.all(batch.map(([id, stream]) => this.write(id, stream)));
    let failed = false;
    results.forEach((stored, index) => {
      if (stored) return;
      failed = true;
      this.requeue(...batch[index]);
    });
    if (failed && !this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, RETRY_MS);
    }
  }

  /** Writes one stream's pending events (and finish); false if something must be retried. */
  private async write(requestId: string, stream: PendingStream): Promise<boolean> {
    const { events, finish } = stream;
    const eventsKey = redisKeys.events(requestId);
    const metaKey = redisKeys.meta(requestId);
    // The first write gives the new events key its TTL (a dead instance must not leave a key
    // forever); the finish starts the TTL of the finished stream. In between, the log's renewal
    // timer keeps a running stream's keys.
    const setTtl = finish || !this.withTtl.has(requestId);
    const calls = Math.max(1, Math.ceil(events.length / ENTRIES_PER_CALL));
    const wakeChannel = redisKeys.wake(requestId);
    const lastId = events.at(-1)?.id ?? -1;
    const writes: Promise<[number, string]>[] = [];
    for (let call = 0; call < calls; call++) {
      const last = call === calls - 1;
      const args = [
        last && setTtl ? String(this.options.ttlSeconds) : '0',
        last && finish ? '1' : '0',
        // Readers are woken once, when the last part of the write is stored.
        last ? String(lastId) : '',
      ];
      const end = Math.min(events.length, (call + 1) * ENTRIES_PER_CALL);
      for (let index = call * ENTRIES_PER_CALL; index < end; index++) {
        const event = events[index];
        args.push(entryId(event.id), event.type, event.data);
      }
      writes.push(this.redis.sgAppendEvents(eventsKey, metaKey, wakeChannel, ...args));
    }
    const results = await Promise.allSettled(writes);
    let failure: unknown;
    // Calls done, in order: stored, or refused by Redis (retrying cannot help, as for an XADD).
    let done = 0;
    for (const result of results) {
      if (result.status === 'rejected') {
        failure ??= result.reason;
        if (!refusedByRedis(result.reason)) break;
      } else {
        const [hasTtl, refused] = result.value;
        if (refused) failure ??= new Error(`stream log entry refused: ${refused}`);
        // 1: the events key existed (its entries landed) and has its TTL now.
        if (done === calls - 1 && setTtl && hasTtl === 1) this.withTtl.add(requestId);
      }
      done++;
    }
    if (failure !== undefined) this.options.onFailure(failure);
    stream.events = events.slice(Math.min(events.length, done * ENTRIES_PER_CALL));
    const finishStored = finish && done === calls;
    if (stream.events.length === 0 && (!finish || finishStored)) {
      if (finish) this.withTtl.delete(requestId);
      stream.finished?.resolve();
      return true;
    }
    return false;
  }

  private requeue(requestId: string, stream: PendingStream): void {
    const newer = this.pending.get(requestId);
    if (newer) {
      // Appends that arrived while this batch was in flight go after the retried ones.
      stream.events.push(...newer.events);
      stream.finish ||= newer.finish;
      if (newer.finished && !stream.finished) stream.finished = newer.finished;
      else if (newer.finished) void stream.finished?.promise.then(newer.finished.resolve);
    }
    this.pending.set(requestId, stream);
  }
}
