import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis, { type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** How long boot waits for Redis before starting anyway (and reporting not ready). */
const CONNECT_WAIT_MS = 5_000;

/**
 * The two Redis connections of a process: one for commands, one in subscriber mode (a subscribed
 * connection cannot run other commands). Every attached client shares these two.
 */
@Injectable()
export class RedisClients implements OnApplicationShutdown {
  readonly command: Redis;
  readonly subscriber: Redis;
  private readonly logger = new Logger(RedisClients.name);
  private lastErrorLog = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const url = config.redisUrl;
    if (!url) throw new Error('RedisClients needs REDIS_URL');
    const common: RedisOptions = {
      // Reconnect forever, quickly: an outage must heal by itself.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      maxRetriesPerRequest: 1,
      connectionName: 'llm-stream-gateway',
    };
    // Commands fail at once while disconnected instead of queueing: a stream must not stall.
    this.command = new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    this.subscriber = new Redis(url, { ...common, autoResubscribe: true });
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => this.logError(error));
    }
  }

  /** Waits (bounded) for the command connection, so a fresh process is ready when Redis is. */
  async waitUntilReady(): Promise<void> {
    if (this.command.status === 'ready') return;
    await Promise.race([
      once(this.command, 'ready'),
      sleep(CONNECT_WAIT_MS, undefined, { ref: false }),
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
  }

  private logError(error: Error): void {
    // ioredis reports every failed reconnect; one line every 5 s is enough to see an outage.
    const now = Date.now();
    if (now - this.lastErrorLog < 5_000) return;
    this.lastErrorLog = now;
    this.logger.warn(`redis: ${error.message}`);
  }
}
