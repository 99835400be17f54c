import { Injectable } from '@nestjs/common';
import { RedisClients } from './redis-clients';

type Handler = (message: string) => void;

interface Channel {
  handlers: Set<Handler>;
  /** Settles once Redis confirmed the subscription. */
  ready: Promise<unknown>;
}

/**
 * Fans the messages of one subscriber connection out to in-process handlers, subscribing to a
 * channel while it has at least one handler. 5,000 attached clients share this one connection
 * (on a cluster: one sharded-pub/sub connection per master, each channel on its slot's master).
 */
@Injectable()
export class RedisSubscriber {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly clients: RedisClients) {
    const deliver = (channel: string, message: string): void => {
      const entry = this.channels.get(channel);
      if (entry) for (const handler of entry.handlers) handler(message);
    };
    clients.subscriber.on(clients.sharded ? 'smessage' : 'message', deliver);
  }

  /** Subscribes `handler`; resolves once messages are flowing. Returns the unsubscribe. */
  async subscribe(channel: string, handler: Handler): Promise<() => void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const subscriber = this.clients.subscriber;
      const ready = this.clients.sharded
        ? subscriber.ssubscribe(channel)
        : subscriber.subscribe(channel);
      entry = { handlers: new Set(), ready };
      this.channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    const current = entry;
    try {
      await current.ready;
    } catch (error: unknown) {
      this.remove(channel, current, handler);
      throw error;
    }
    return () => this.remove(channel, current, handler);
  }

  private remove(channel: string, entry: Channel, handler: Handler): void {
    entry.handlers.delete(handler);
    if (entry.handlers.size > 0 || this.channels.get(channel) !== entry) return;
    this.channels.delete(channel);
    const subscriber = this.clients.subscriber;
    const leaving = this.clients.sharded
      ? subscriber.sunsubscribe(channel)
      : subscriber.unsubscribe(channel);
    leaving.catch(() => undefined);
  }
}
