import type { RedisConnection } from '../redis/redis-clients';

/**
 * Stores one write of one stream in one command: its entries (`XADD` each), the TTL of both keys
 * when asked, and the finish. An entry at or below the top is a retry of a write that landed and
 * is skipped; any other refused entry is skipped too and its error returned, as a refused `XADD`
 * would be. The wake-up is published by the caller (`PUBLISH`, or `SPUBLISH` on a cluster).
 *
 * KEYS: events, meta. ARGV: TTL seconds to set (0: leave it), '1' to mark finished, then
 * id, type, data of each entry. Returns [EXPIRE's answer for the events key, first error or ''].
 */
export const APPEND_EVENTS_LUA = `
local refused = ''
for i = 3, #ARGV, 3 do
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
return {hasTtl, refused}
`;

export interface AppendEventsCommand {
  sgAppendEvents(
    eventsKey: string,
    metaKey: string,
    ...args: string[]
  ): Promise<[hasTtl: number, refused: string]>;
}

/**
 * The connection with the script defined on it (ioredis sends `EVALSHA`, and the script itself
 * the first time on each connection or after a `NOSCRIPT`).
 */
export function withAppendEvents(redis: RedisConnection): RedisConnection & AppendEventsCommand {
  if (!('sgAppendEvents' in redis)) {
    redis.defineCommand('sgAppendEvents', { numberOfKeys: 2, lua: APPEND_EVENTS_LUA });
  }
  return redis as RedisConnection & AppendEventsCommand;
}
