import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig, type RedisConfig } from '../config/app-config';
import { ClusterHealth } from './cluster-health';

/** How long boot waits for Redis before starting anyway (and reporting not ready). */
const CONNECT_WAIT_MS = 5_000;

/** A connection to one Redis server, or to a whole Redis Cluster: the commands used are the same. */
export type RedisConnection = Redis | Cluster;

const COMMON: RedisOptions = {
  // Reconnect forever, quickly: an outage must heal by itself.
  retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  maxRetriesPerRequest: 1,
  connectionName: 'llm-stream-gateway',
};

function clusterOptions(config: Extract<RedisConfig, { mode: 'cluster' }>): ClusterOptions {
  return {
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    // ioredis drops a master whose connection died and only re-adds it on a slot refresh, which
    // it does not schedule by itself: re-read the slot map every second, so a restarted master
    // (or a promoted replica) is used again within a second.
    slotsRefreshInterval: 1_000,
    redisOptions: {
      connectionName: COMMON.connectionName,
      maxRetriesPerRequest: COMMON.maxRetriesPerRequest,
      username: config.username,
      password: config.password,
      tls: config.tls ? {} : undefined,
    },
  };
}

/**
 * The Redis connections of a process: one for commands, one for subscriptions (a subscribed
 * connection cannot run other commands). Every attached client shares them.
 *
 * On a Redis Cluster both are ioredis `Cluster`s: commands go to the master of their key's slot
 * (every key of a stream shares one slot, see redis-keys.ts), and the subscriber holds one
 * sharded-pub/sub connection per master (`SSUBSCRIBE`), so a wake-up travels to the one node that
 * owns the stream instead of being broadcast over the cluster bus to every node as `PUBLISH` is.
 * The subscriber is a second `Cluster` because auto-pipelining (wanted for commands) would batch
 * `SSUBSCRIBE` into a pipeline on a command connection.
 */
@Injectable()
export class RedisClients implements OnApplicationShutdown {
  readonly command: RedisConnection;
  readonly subscriber: RedisConnection;
  /** True on a cluster: pub/sub is sharded (`SPUBLISH`, `SSUBSCRIBE`, 'smessage'). */
  readonly sharded: boolean;
  private readonly clusterHealth: ClusterHealth | undefined;
  private readonly logger = new Logger(RedisClients.name);
  private lastErrorLog = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const redis = config.redis;
    if (!redis) throw new Error('RedisClients needs REDIS_URL or REDIS_CLUSTER_NODES');
    if (redis.mode === 'single') {
      this.sharded = false;
      // Commands fail at once while disconnected instead of queueing: a stream must not stall.
      this.command = new Redis(redis.url, {
        ...COMMON,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
      });
      this.subscriber = new Redis(redis.url, { ...COMMON, autoResubscribe: true });
    } else {
      this.sharded = true;
      const nodes = redis.nodes.map(({ host, port }) => ({ host, port }));
      const options = clusterOptions(redis);
      this.command = new Cluster(nodes, {
        ...options,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
      });
      this.subscriber = new Cluster(nodes, { ...options, shardedSubscribers: true });
      this.clusterHealth = new ClusterHealth(this.command);
    }
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => this.logError(error));
    }
  }

  /** Waits (bounded) for the command connection, so a fresh process is ready when Redis is. */
  async waitUntilReady(): Promise<void> {
    const deadline = sleep(CONNECT_WAIT_MS, undefined, { ref: false });
    if (this.command.status !== 'ready') {
      await Promise.race([once(this.command, 'ready'), deadline]);
    }
    if (this.clusterHealth) await Promise.race([this.clusterHealth.start(), deadline]);
  }

  /** Publishes on a channel: `SPUBLISH` on a cluster (to the channel's slot owner only). */
  publish(channel: string, message: string): Promise<unknown> {
    return this.sharded
      ? this.command.spublish(channel, message)
      : this.command.publish(channel, message);
  }

  /**
   * Whether commands can be served now. One server: its connection is up. A cluster: every
   * master answered the last probe and reports `cluster_state:ok` (a cluster with one master
   * down still takes commands for the others' slots, but not for every stream).
   */
  isHealthy(): boolean {
    if (this.command.status !== 'ready') return false;
    return this.clusterHealth ? this.clusterHealth.healthy : true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.clusterHealth?.stop();
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
