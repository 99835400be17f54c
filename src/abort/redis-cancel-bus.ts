import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InstanceId } from '../lifecycle/instance-id';
import { RedisClients } from '../redis/redis-clients';
import { RedisSubscriber } from '../redis/redis-subscriber';
import { redisKeys } from '../stream-log/redis-keys';
import { CancelBus } from './cancel-bus';

/**
 * Cross-instance cancel.
 *
 * One Redis: every instance listens on one channel (`sg:cancel`); the one running the id aborts.
 *
 * A Redis Cluster: a classic channel would be broadcast over the cluster bus to every node for
 * every cancel, and a single sharded channel would put every instance's subscription on one
 * master. Instead each instance listens on its own sharded channel,
 * `sg:{instance:<id>}:cancel` (its slot, hence its master, follows from the instance id, so the
 * instances spread over the masters), and a cancel reads the `instance` field of the stream's
 * meta and `SPUBLISH`es to that instance alone: one extra read per cancel, none per stream start.
 * A stream with no meta has nothing running to cancel.
 */
@Injectable()
export class RedisCancelBus extends CancelBus implements OnModuleInit {
  private readonly handlers: ((requestId: string) => void)[] = [];

  constructor(
    private readonly clients: RedisClients,
    private readonly subscriber: RedisSubscriber,
    private readonly instance: InstanceId,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    const channel = this.clients.sharded
      ? redisKeys.instanceCancelChannel(this.instance.id)
      : redisKeys.cancelChannel;
    await this.subscriber.subscribe(channel, (requestId) => {
      for (const handler of this.handlers) handler(requestId);
    });
  }

  async publish(requestId: string): Promise<void> {
    if (!this.clients.sharded) {
      await this.clients.publish(redisKeys.cancelChannel, requestId);
      return;
    }
    const runner = await this.clients.command.hget(redisKeys.meta(requestId), 'instance');
    if (!runner) return;
    await this.clients.publish(redisKeys.instanceCancelChannel(runner), requestId);
  }

  onCancel(handler: (requestId: string) => void): void {
    this.handlers.push(handler);
  }
}
