/**
 * Key names. The request id sits in a hash tag, `{…}`, so all keys of one stream land in one
 * Redis Cluster slot and a script or pipeline may touch them together.
 */
export const redisKeys = {
  events: (requestId: string): string => `sg:{${requestId}}:events`,
  meta: (requestId: string): string => `sg:{${requestId}}:meta`,
  /** Pub/sub channel that says "new events", so readers need no blocking connection of their own. */
  wake: (requestId: string): string => `sg:{${requestId}}:wake`,
  instance: (instanceId: string): string => `sg:instance:${instanceId}`,
  alias: (alias: string): string => `sg:{${alias}}:alias`,
  /** One Redis: every instance listens here, and the one running the stream aborts it. */
  cancelChannel: 'sg:cancel',
  /**
   * A cluster: each instance listens (`SSUBSCRIBE`) on its own channel, and a cancel is sent
   * (`SPUBLISH`) to the instance the stream's meta names, so it reaches one node and one process.
   */
  instanceCancelChannel: (instanceId: string): string => `sg:{instance:${instanceId}}:cancel`,
};

/**
 * Stream entry ids are `1-<event id>`: the sequence part equals the SSE id. (`0-0` is not a
 * valid entry id, so the time part is 1 rather than 0.)
 */
export const entryId = (eventId: number): string => `1-${eventId}`;

export function eventIdOf(entry: string): number {
  return Number(entry.slice(entry.indexOf('-') + 1));
}
