import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CompactedEvents } from './compacted-events';
import { LatchedWatcher } from './latched-watcher';
import type { StoredEvent } from '../protocol/stored-event';
import { StreamLog, StreamLogUnavailableError } from './stream-log';
import type { NewStream, StreamMeta } from './stream-meta';
import type { StreamWatcher } from './stream-watcher';

interface MemoryStream {
  meta: StreamMeta;
  /** An array while the stream runs; packed once it has finished. */
  events: StoredEvent[] | CompactedEvents;
  watchers: Set<LatchedWatcher>;
  expiresAt: number;
  /** Characters of its events' data: what it counts against MEMORY_LOG_MAX_BYTES. */
  size: number;
  /** Aliases pointing at it, dropped with it. */
  aliases: string[];
}

/**
 * The stream log in process memory: the default without REDIS_URL. Holds at most
 * MEMORY_LOG_MAX_STREAMS streams and MEMORY_LOG_MAX_BYTES of event data, dropping the oldest
 * finished streams first. Running streams are never dropped; when they alone fill the budget,
 * new streams are refused (503) until some end.
 */
@Injectable()
export class MemoryStreamLog extends StreamLog {
  private readonly streams = new Map<string, MemoryStream>();
  /** Finished ids in the order they finished, which is also expiry order (one TTL for all). */
  private readonly finishedOrder = new Set<string>();
  private readonly aliases = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly maxStreams: number;
  private readonly maxBytes: number;
  private storedBytes = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super();
    this.ttlMs = config.stream.ttlSeconds * 1000;
    this.maxStreams = config.stream.memoryLogMaxStreams;
    this.maxBytes = config.stream.memoryLogMaxBytes;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Characters of event data held now, running and finished streams together. */
  get bytes(): number {
    return this.storedBytes;
  }

  create(stream: NewStream): Promise<boolean> {
    const existing = this.live(stream.requestId);
    if (existing) return Promise.resolve(false);
    this.evict();
    if (this.storedBytes >= this.maxBytes) {
      return Promise.reject(new StreamLogUnavailableError('the memory log is full'));
    }
    this.streams.set(stream.requestId, {
      meta: { ...stream, status: 'running' },
      events: [],
      watchers: new Set(),
      expiresAt: Number.POSITIVE_INFINITY,
      size: 0,
      aliases: [],
    });
    return Promise.resolve(true);
  }

  append(requestId: string, event: StoredEvent): void {
    const stream = this.streams.get(requestId);
    if (!stream || !Array.isArray(stream.events)) return;
    stream.events.push(event);
    stream.size += event.data.length;
    this.storedBytes += event.data.length;
    for (const watcher of stream.watchers) watcher.notify();
  }

  finish(requestId: string): Promise<void> {
    const stream = this.streams.get(requestId);
    if (stream && stream.meta.status !== 'finished') {
      stream.meta.status = 'finished';
      if (Array.isArray(stream.events)) stream.events = new CompactedEvents(stream.events);
      stream.expiresAt = Date.now() + this.ttlMs;
      this.finishedOrder.add(requestId);
      for (const watcher of stream.watchers) watcher.notify();
      this.evict();
    }
    return Promise.resolve();
  }

  meta(requestId: string): Promise<StreamMeta | undefined> {
    const meta = this.live(requestId)?.meta;
    return Promise.resolve(meta ? { ...meta } : undefined);
  }

  range(requestId: string, afterId: number, limit: number): Promise<StoredEvent[]> {
    const events = this.live(requestId)?.events ?? [];
    // Ids are the indexes: 0, 1, 2, … with no gaps.
    return Promise.resolve(events.slice(afterId + 1, afterId + 1 + limit));
  }

  watch(requestId: string): Promise<StreamWatcher> {
    const stream = this.streams.get(requestId);
    const watcher: LatchedWatcher = new LatchedWatcher(() => stream?.watchers.delete(watcher));
    stream?.watchers.add(watcher);
    return Promise.resolve(watcher);
  }

  isInstanceAlive(): Promise<boolean> {
    // Every stream in this log runs in this process.
    return Promise.resolve(true);
  }

  closeAbandoned(requestId: string, afterId: number, events: StoredEvent[]): Promise<boolean> {
    const stream = this.live(requestId);
    if (!stream || stream.meta.status === 'finished' || stream.events.length !== afterId + 1) {
      return Promise.resolve(false);
    }
    for (const event of events) this.append(requestId, event);
    return this.finish(requestId).then(() => true);
  }

  setAlias(alias: string, requestId: string): Promise<void> {
    const stream = this.live(requestId);
    if (stream) {
      this.aliases.set(alias, requestId);
      stream.aliases.push(alias);
    }
    return Promise.resolve();
  }

  resolveAlias(alias: string): Promise<string | undefined> {
    const target = this.aliases.get(alias);
    return Promise.resolve(target !== undefined && this.live(target) ? target : undefined);
  }

  isHealthy(): boolean {
    return true;
  }

  private live(requestId: string): MemoryStream | undefined {
    const stream = this.streams.get(requestId);
    if (stream && stream.expiresAt <= Date.now()) {
      this.drop(requestId);
      return undefined;
    }
    return stream;
  }

  /** Drops expired streams, then the oldest finished ones while over a bound. O(dropped). */
  private evict(): void {
    const now = Date.now();
    for (const id of this.finishedOrder) {
      const expired = (this.streams.get(id)?.expiresAt ?? 0) <= now;
      const over = this.streams.size > this.maxStreams || this.storedBytes > this.maxBytes;
      if (!expired && !over) return;
      this.drop(id);
    }
  }

  private drop(requestId: string): void {
    const stream = this.streams.get(requestId);
    if (stream) this.storedBytes -= stream.size;
    for (const alias of stream?.aliases ?? []) {
      if (this.aliases.get(alias) === requestId) this.aliases.delete(alias);
    }
    this.streams.delete(requestId);
    this.finishedOrder.delete(requestId);
  }
}
