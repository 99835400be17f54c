import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RedisClients } from '../redis/redis-clients';
import { RedisSubscriber } from '../redis/redis-subscriber';
import { redisKeys } from '../stream-log/redis-keys';
import { CancelBus } from './cancel-bus';

/** Cross-instance cancel: every instance listens on one channel; the one running the id aborts. */
@Injectable()
export class RedisCancelBus extends CancelBus implements OnModuleInit {
  private readonly handlers: ((requestId: string) => void)[] = [];

  constructor(
    private readonly clients: RedisClients,
    private readonly subscriber: RedisSubscriber,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.subscriber.subscribe(redisKeys.cancelChannel, (requestId) => {
      for (const handler of this.handlers) handler(requestId);
    });
  }

  async publish(requestId: string): Promise<void> {
    await this.clients.command.publish(redisKeys.cancelChannel, requestId);
  }

  onCancel(handler: (requestId: string) => void): void {
    this.handlers.push(handler);
  }
}
