import type { RedisConnection } from '../redis/redis-clients';

/**
 * Stores one write of one stream in one command: its entries (`XADD` each), the TTL of both keys
 * when asked, and the finish. An entry at or below the top is a retry of a write that landed and
 * is skipped; any other refused entry is skipped too and its error returned, as a refused `XADD`
 * would be. Then it wakes live readers (`PUBLISH`; see APPEND_EVENTS_SHARDED_LUA for a cluster)
 * in the same call: every ioredis command costs a few KB of short-lived objects, and a separate
 * wake-up command per write doubled them.
 *
 * KEYS: events, meta, wake channel (it shares the stream's hash tag, so one slot). ARGV: TTL
 * seconds to set (0: leave it), '1' to mark finished, the wake-up message ('' for none), then id,
 * type, data of each entry. Returns [EXPIRE's answer for the events key, first error or ''].
 */
export const APPEND_EVENTS_LUA = `
local refused = ''
for i = 4, #ARGV, 3 do
  local reply = redis.pcall('XADD', KEYS[1], ARGV[i], 't', ARGV[i + 1], 'd', ARGV[i + 2])
  if type(reply) == 'table' and reply.err and refused == ''
    and not string.find(reply.err, 'equal or smaller', 1, true) then
    refused = reply.err
  end
end
local ttl = tonumber(ARGV[1])
local hasTtl = 0
if ttl > 0 then
  hasTtl = redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
if ARGV[2] == '1' then redis.call('HSET', KEYS[2], 'status', 'finished') end
if ARGV[3] ~= '' then redis.call('PUBLISH', KEYS[3], ARGV[3]) end
return {hasTtl, refused}
`;

/**
 * The same for a Redis Cluster: `SPUBLISH`, so the wake-up reaches the readers subscribed with
 * `SSUBSCRIBE` on this slot's master instead of being broadcast to every node.
 */
export const APPEND_EVENTS_SHARDED_LUA = APPEND_EVENTS_LUA.replace(
  "redis.call('PUBLISH'",
  "redis.call('SPUBLISH'",
);

export interface AppendEventsCommand {
  sgAppendEvents(
    eventsKey: string,
    metaKey: string,
    wakeChannel: string,
    ...args: string[]
  ): Promise<[hasTtl: number, refused: string]>;
}

/**
 * The connection with the script defined on it (ioredis sends `EVALSHA`, and the script itself
 * the first time on each connection or after a `NOSCRIPT`).
 */
export function withAppendEvents(
  redis: RedisConnection,
  sharded: boolean,
): RedisConnection & AppendEventsCommand {
  if (!('sgAppendEvents' in redis)) {
    redis.defineCommand('sgAppendEvents', {
      numberOfKeys: 3,
      lua: sharded ? APPEND_EVENTS_SHARDED_LUA : APPEND_EVENTS_LUA,
    });
  }
  return redis as RedisConnection & AppendEventsCommand;
}
