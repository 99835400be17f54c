import type { RedisConnection } from '../redis/redis-clients';

/** Claims a stream id unless it exists; clears events a previous, expired holder left behind. */
export const CREATE_STREAM_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'running', 'owner', ARGV[1], 'instance', ARGV[2], 'created', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * Closes a stream whose instance died: appends the given entries and marks it finished, but only
 * if its last entry is still ARGV[1], so of several readers exactly one closes it. The wake-up
 * is `PUBLISH` on one Redis; see CLOSE_ABANDONED_SHARDED_LUA for a cluster.
 */
export const CLOSE_ABANDONED_LUA = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local lastId = -1
if #last > 0 then lastId = tonumber(string.sub(last[1][1], 3)) end
if lastId ~= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV, 3 do
  redis.call('XADD', KEYS[1], ARGV[i], 't', ARGV[i + 1], 'd', ARGV[i + 2])
end
redis.call('HSET', KEYS[2], 'status', 'finished')
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', KEYS[3], '-1')
return 1
`;

/**
 * The same for a Redis Cluster: `SPUBLISH`, because a classic `PUBLISH` would be broadcast to
 * every node and its subscribers listen with `SSUBSCRIBE` on the slot's master. The wake channel
 * is KEYS[3] and shares the stream's hash tag, so the script still touches one slot only.
 */
export const CLOSE_ABANDONED_SHARDED_LUA = CLOSE_ABANDONED_LUA.replace(
  "redis.call('PUBLISH'",
  "redis.call('SPUBLISH'",
);

export interface LogScriptCommands {
  sgCreateStream(
    metaKey: string,
    eventsKey: string,
    owner: string,
    instanceId: string,
    createdAt: string,
    ttlSeconds: string,
  ): Promise<number>;
  sgCloseAbandoned(
    eventsKey: string,
    metaKey: string,
    wakeChannel: string,
    afterId: string,
    ttlSeconds: string,
    ...entries: string[]
  ): Promise<number>;
}

/**
 * The connection with the log's scripts defined on it. Named commands rather than `eval`: with
 * auto-pipelining on a Redis Cluster, ioredis groups a command by the slot of its first argument,
 * which for `eval` is the script text, so scripts for streams on different masters landed in one
 * pipeline and failed with "All keys in the pipeline should belong to the same slots allocation
 * group". A named command's first argument is its first key.
 */
export function withLogScripts(
  redis: RedisConnection,
  sharded: boolean,
): RedisConnection & LogScriptCommands {
  if (!('sgCreateStream' in redis)) {
    redis.defineCommand('sgCreateStream', { numberOfKeys: 2, lua: CREATE_STREAM_LUA });
    redis.defineCommand('sgCloseAbandoned', {
      numberOfKeys: 3,
      lua: sharded ? CLOSE_ABANDONED_SHARDED_LUA : CLOSE_ABANDONED_LUA,
    });
  }
  return redis as RedisConnection & LogScriptCommands;
}
