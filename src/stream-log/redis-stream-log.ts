import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { InstanceId } from '../lifecycle/instance-id';
import { RedisClients } from '../redis/redis-clients';
import { RedisSubscriber } from '../redis/redis-subscriber';
import type { ChatEventType } from '../protocol/chat-event';
import { LatchedWatcher } from './latched-watcher';
import type { StoredEvent } from '../protocol/stored-event';
import { RedisAppendQueue } from './redis-append-queue';
import { entryId, eventIdOf, redisKeys } from './redis-keys';
import { withLogScripts, type LogScriptCommands } from './redis-scripts';
import { StreamLog, StreamLogUnavailableError } from './stream-log';
import type { NewStream, StreamMeta } from './stream-meta';
import type { StreamWatcher } from './stream-watcher';

/** The instance heartbeat: renewed every HEARTBEAT_EVERY_MS, gone INSTANCE_TTL_MS after death. */
const HEARTBEAT_EVERY_MS = 1_000;
const INSTANCE_TTL_MS = 3_000;
const DRAIN_ON_SHUTDOWN_MS = 3_000;
/** Renewals per TTL period for the keys of running streams (so two may fail before expiry). */
const RENEWALS_PER_TTL = 3;

type RedisEntry = [id: string, fields: string[]];

function toStoredEvent([id, fields]: RedisEntry): StoredEvent {
  const values = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2)
    values.set(fields[index], fields[index + 1]);
  return {
    id: eventIdOf(id),
    type: values.get('t') as ChatEventType,
    data: values.get('d') ?? 'null',
  };
}

/**
 * The stream log on Redis Streams: one stream key per request (`XADD` with ids `1-<event id>`),
 * a meta hash, pub/sub wake-ups for live readers, and an instance heartbeat key so readers
 * elsewhere notice when the generating instance dies.
 *
 * Expiry: a running stream's keys are renewed by the instance that runs it, several times per
 * STREAM_TTL_S, so a stream that pauses (a tool call, a slow model) never expires while it runs;
 * if that instance dies they lapse STREAM_TTL_S later, unless a reader closes the stream first.
 * A finished stream keeps STREAM_TTL_S from its last write.
 */
@Injectable()
export class RedisStreamLog extends StreamLog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RedisStreamLog.name);
  private readonly queue: RedisAppendQueue;
  private readonly ttlSeconds: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private renewal: NodeJS.Timeout | undefined;
  private failedAppends = 0;
  private lastFailureLog = 0;
  /** Streams this instance runs, with their aliases: keys it keeps from expiring. */
  private readonly running = new Map<string, string[]>();
  private readonly scripts: LogScriptCommands;

  constructor(
    private readonly clients: RedisClients,
    private readonly subscriber: RedisSubscriber,
    private readonly instance: InstanceId,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    this.ttlSeconds = config.stream.ttlSeconds;
    this.scripts = withLogScripts(clients.command, clients.sharded);
    this.queue = new RedisAppendQueue({
      redis: clients.command,
      sharded: clients.sharded,
      ttlSeconds: this.ttlSeconds,
      maxPendingPerStream: 10_000,
      onFailure: (error) => {
        this.failedAppends++;
        // Retries run every 250 ms per stream during an outage: one line per 5 s is enough.
        const now = Date.now();
        if (now - this.lastFailureLog < 5_000) return;
        this.lastFailureLog = now;
        this.logger.warn(
          `stream log appends failing (${this.failedAppends} batches so far), retrying: ${String(error)}`,
        );
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.clients.waitUntilReady();
    this.beat();
    // After an outage, at once: readers elsewhere may be looking for this key already.
    this.clients.command.on('ready', this.beat);
    this.heartbeat = setInterval(this.beat, HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
    const renewEveryMs = Math.max(100, (this.ttlSeconds * 1000) / RENEWALS_PER_TTL);
    this.renewal = setInterval(() => this.renewRunning(), renewEveryMs);
    this.renewal.unref();
  }

  /**
   * Before any module's `onApplicationShutdown`: RedisClients closes its connections there, and
   * the last events of streams that just ended (batched for the next tick) must be stored first.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.clients.command.off('ready', this.beat);
    clearInterval(this.heartbeat);
    clearInterval(this.renewal);
    await this.queue.drain(Date.now() + DRAIN_ON_SHUTDOWN_MS);
    await this.clients.command.del(redisKeys.instance(this.instance.id)).catch(() => undefined);
  }

  override get appendFailures(): number {
    return this.failedAppends;
  }

  async create(stream: NewStream): Promise<boolean> {
    const created = await this.call(() =>
      this.scripts.sgCreateStream(
        redisKeys.meta(stream.requestId),
        redisKeys.events(stream.requestId),
        stream.owner ?? '',
        stream.instanceId,
        String(stream.createdAt),
        String(this.ttlSeconds),
      ),
    );
    if (created === 1) this.running.set(stream.requestId, []);
    return created === 1;
  }

  append(requestId: string, event: StoredEvent): void {
    this.queue.append(requestId, event);
  }

  finish(requestId: string): Promise<void> {
    this.running.delete(requestId);
    return this.queue.finish(requestId);
  }

  async meta(requestId: string): Promise<StreamMeta | undefined> {
    const hash = await this.call(() => this.clients.command.hgetall(redisKeys.meta(requestId)));
    if (!hash.status) return undefined;
    return {
      requestId,
      owner: hash.owner ? hash.owner : undefined,
      status: hash.status === 'finished' ? 'finished' : 'running',
      instanceId: hash.instance ?? '',
      createdAt: Number(hash.created),
    };
  }

  async range(requestId: string, afterId: number, limit: number): Promise<StoredEvent[]> {
    const entries = (await this.call(() =>
      this.clients.command.xrange(
        redisKeys.events(requestId),
        entryId(afterId + 1),
        '+',
        'COUNT',
        limit,
      ),
    )) as RedisEntry[];
    return entries.map(toStoredEvent);
  }

  async watch(requestId: string): Promise<StreamWatcher> {
    let unsubscribe: () => void = () => undefined;
    const watcher = new LatchedWatcher(() => unsubscribe());
    unsubscribe = await this.call(() =>
      this.subscriber.subscribe(redisKeys.wake(requestId), watcher.notify),
    );
    return watcher;
  }

  async setAlias(alias: string, requestId: string): Promise<void> {
    this.running.get(requestId)?.push(alias);
    await this.call(() =>
      this.clients.command.set(redisKeys.alias(alias), requestId, 'EX', this.ttlSeconds),
    );
  }

  async resolveAlias(alias: string): Promise<string | undefined> {
    const target = await this.call(() => this.clients.command.get(redisKeys.alias(alias)));
    return target ?? undefined;
  }

  async isInstanceAlive(instanceId: string): Promise<boolean> {
    if (instanceId === this.instance.id) return true;
    const exists = await this.call(() =>
      this.clients.command.exists(redisKeys.instance(instanceId)),
    );
    return exists === 1;
  }

  async closeAbandoned(
    requestId: string,
    afterId: number,
    events: StoredEvent[],
  ): Promise<boolean> {
    const args = events.flatMap((event) => [entryId(event.id), event.type, event.data]);
    const closed = await this.call(() =>
      this.scripts.sgCloseAbandoned(
        redisKeys.events(requestId),
        redisKeys.meta(requestId),
        redisKeys.wake(requestId),
        String(afterId),
        String(this.ttlSeconds),
        ...args,
      ),
    );
    return closed === 1;
  }

  isHealthy(): boolean {
    return this.clients.isHealthy();
  }

  /** Renews this instance's heartbeat key, by which readers elsewhere know it is alive. */
  private readonly beat = (): void => {
    this.clients.command
      .set(redisKeys.instance(this.instance.id), '1', 'PX', INSTANCE_TTL_MS)
      .catch(() => undefined);
  };

  /** One pipelined round of EXPIREs; failures are harmless (the next round retries). */
  private renewRunning(): void {
    const redis = this.clients.command;
    for (const [requestId, aliases] of this.running) {
      redis.expire(redisKeys.events(requestId), this.ttlSeconds).catch(() => undefined);
      redis.expire(redisKeys.meta(requestId), this.ttlSeconds).catch(() => undefined);
      for (const alias of aliases) {
        redis.expire(redisKeys.alias(alias), this.ttlSeconds).catch(() => undefined);
      }
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error: unknown) {
      throw new StreamLogUnavailableError(error);
    }
  }
}
