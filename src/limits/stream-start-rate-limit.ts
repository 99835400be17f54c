import { HttpException, HttpStatus, Inject, Injectable, Optional } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisClients } from '../redis/redis-clients';

const WINDOW_SECONDS = 60;

/**
 * RATE_LIMIT_PER_MINUTE: how many streams one API key may start per minute. In memory for a
 * single process; in Redis with REDIS_URL or REDIS_CLUSTER_NODES, so the limit holds across
 * instances (one key per API key, so on a cluster each count lives on one master; with an
 * in-memory limiter as insurance while Redis is unreachable, so an outage neither blocks every
 * key nor lifts the limit). Without API_KEYS there is no key to count by; limit by address in
 * the proxy (nginx `limit_req`) instead.
 */
@Injectable()
export class StreamStartRateLimit {
  private readonly limiter: RateLimiterAbstract | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() clients?: RedisClients) {
    const points = config.limits.streamStartsPerMinute;
    if (points === 0 || config.apiKeys.length === 0) return;
    const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS });
    this.limiter = clients
      ? new RateLimiterRedis({
          storeClient: clients.command,
          points,
          duration: WINDOW_SECONDS,
          keyPrefix: 'sg:rate',
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;
  }

  /** Counts one stream start for `owner`; throws 429 with Retry-After when over the limit. */
  async consume(res: ServerResponse, owner: string | undefined): Promise<void> {
    if (!this.limiter || owner === undefined) return;
    try {
      await this.limiter.consume(owner);
    } catch (rejection: unknown) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const waitMs = Math.max(1, Math.ceil(rejection.msBeforeNext));
      res.setHeader('Retry-After', String(Math.ceil(waitMs / 1000)));
      // Both official OpenAI clients prefer the exact wait when it is given.
      res.setHeader('retry-after-ms', String(waitMs));
      throw new HttpException(
        {
          statusCode: 429,
          message: `This API key started too many streams; retry in ${Math.ceil(waitMs / 1000)} s.`,
          error: 'Too Many Requests',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }
}
