import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { CancelBus } from '../abort/cancel-bus';
import { LocalCancelBus } from '../abort/local-cancel-bus';
import { RedisCancelBus } from '../abort/redis-cancel-bus';
import type { AppConfig } from '../config/app-config';
import { RedisClients } from '../redis/redis-clients';
import { RedisSubscriber } from '../redis/redis-subscriber';
import { MemoryStreamLog } from './memory-stream-log';
import { RedisStreamLog } from './redis-stream-log';
import { StreamLog } from './stream-log';

/**
 * The stream log and the cancel bus: in memory by default, on Redis (one server or a cluster)
 * when REDIS_URL or REDIS_CLUSTER_NODES is set.
 */
@Global()
@Module({})
export class StreamStorageModule {
  static register(config: AppConfig): DynamicModule {
    const providers: Provider[] = config.redis
      ? [
          RedisClients,
          RedisSubscriber,
          { provide: StreamLog, useClass: RedisStreamLog },
          { provide: CancelBus, useClass: RedisCancelBus },
        ]
      : [
          { provide: StreamLog, useClass: MemoryStreamLog },
          { provide: CancelBus, useClass: LocalCancelBus },
        ];
    const exports = config.redis ? [StreamLog, CancelBus, RedisClients] : [StreamLog, CancelBus];
    return { module: StreamStorageModule, providers, exports };
  }
}
