import Redis from 'ioredis';
import { toStoredEvent, type StoredEvent } from '../src/protocol/stored-event';
import { RedisAppendQueue } from '../src/stream-log/redis-append-queue';
import { redisKeys } from '../src/stream-log/redis-keys';
import { RedisServer } from './support/redis-server';

const TTL_S = 600;

let server: RedisServer;
let writer: Redis;
let inspector: Redis;
let queue: RedisAppendQueue;
let failures: unknown[] = [];
let counter = 0;

const token = (id: number): StoredEvent =>
  toStoredEvent({ id, type: 'token', data: { content: `t${id}` } });

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Calls of each command Redis has run since the last CONFIG RESETSTAT. */
async function commandCalls(): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const line of (await inspector.info('commandstats')).split('\n')) {
    const match = /^cmdstat_(\w+):calls=(\d+)/.exec(line);
    if (match) calls[match[1]] = Number(match[2]);
  }
  return calls;
}

const stored = async (requestId: string): Promise<number> =>
  inspector.xlen(redisKeys.events(requestId));

beforeAll(async () => {
  server = await RedisServer.start();
  // As the app's command connection: auto-pipelined, failing at once while disconnected.
  writer = new Redis(server.url, {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
  });
  writer.on('error', () => undefined);
  inspector = new Redis(server.url, { retryStrategy: () => 50 });
  inspector.on('error', () => undefined);
  queue = new RedisAppendQueue({
    redis: writer,
    sharded: false,
    ttlSeconds: TTL_S,
    onFailure: (error) => failures.push(error),
    maxPendingPerStream: 10_000,
  });
}, 30_000);

afterAll(async () => {
  writer?.disconnect();
  inspector?.disconnect();
  await server?.stop();
});

describe('RedisAppendQueue', () => {
  beforeEach(() => (failures = []));

  it('stores a backlog in order, 500 entries per script call, one wake-up', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    await inspector.config('RESETSTAT');
    for (let event = 0; event < 1_200; event++) queue.append(id, token(event));
    await queue.finish(id);
    const entries = await inspector.xrange(redisKeys.events(id), '-', '+');
    expect(entries.map(([entry]) => entry)).toEqual(
      Array.from({ length: 1_200 }, (_, event) => `1-${event}`),
    );
    expect(entries[7][1]).toEqual(['t', 'token', 'd', token(7).data]);
    const calls = await commandCalls();
    expect((calls.eval ?? 0) + (calls.evalsha ?? 0)).toBe(3);
    expect(calls.publish).toBe(1);
    expect(failures).toEqual([]);
  });

  it('skips entries already stored, as a retry of a write that landed finds them', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    for (const event of [0, 1, 2]) queue.append(id, token(event));
    await eventually(async () => (await stored(id)) === 3);
    // The same ids again (the reply was lost, the write is retried), then a new one.
    for (const event of [1, 2, 3]) queue.append(id, token(event));
    await queue.finish(id);
    const entries = await inspector.xrange(redisKeys.events(id), '-', '+');
    expect(entries.map(([entry]) => entry)).toEqual(['1-0', '1-1', '1-2', '1-3']);
    expect(failures).toEqual([]);
  });

  it('reports entries Redis refuses and does not retry them; the finish still lands', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    // A wrong type under the events key: every XADD is refused; nothing is retried forever.
    await inspector.set(redisKeys.events(id), 'not a stream');
    queue.append(id, token(0));
    await queue.finish(id);
    expect(failures.map(String)).toEqual([expect.stringContaining('WRONGTYPE')]);
    expect(await inspector.hget(redisKeys.meta(id), 'status')).toBe('finished');
  });

  it('sets the TTL on the first write and at the finish, with no EXPIRE per token', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    await inspector.hset(redisKeys.meta(id), 'status', 'running');
    await inspector.config('RESETSTAT');
    queue.append(id, token(0));
    await eventually(async () => (await stored(id)) === 1);
    // A running stream's events key must expire even if this instance dies before it ends.
    expect(await inspector.ttl(redisKeys.events(id))).toBeGreaterThan(TTL_S - 10);
    // 20 more tokens, each its own write (one tick, one round trip each).
    for (let event = 1; event <= 20; event++) {
      queue.append(id, token(event));
      await eventually(async () => (await stored(id)) === event + 1);
    }
    await queue.finish(id);
    const calls = await commandCalls();
    expect(calls.xadd).toBe(21);
    // One script call per write; it publishes the wake-up itself.
    expect((calls.eval ?? 0) + (calls.evalsha ?? 0)).toBe(22);
    expect(calls.publish).toBe(22);
    // Two on the first write, two at the finish: the log's renewal timer keeps running streams.
    expect(calls.expire).toBe(4);
    expect(await inspector.hget(redisKeys.meta(id), 'status')).toBe('finished');
    expect(await inspector.ttl(redisKeys.events(id))).toBeGreaterThan(TTL_S - 10);
    expect(await inspector.ttl(redisKeys.meta(id))).toBeGreaterThan(TTL_S - 10);
  });

  it('retries a write answered NOSCRIPT (a server that lost its script cache), losing nothing', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    queue.append(id, token(0));
    await eventually(async () => (await stored(id)) === 1);
    // As after a restart whose first EVAL was refused: ioredis thinks the script is loaded.
    await inspector.script('FLUSH');
    for (const event of [1, 2, 3]) queue.append(id, token(event));
    await queue.finish(id);
    const entries = await inspector.xrange(redisKeys.events(id), '-', '+');
    expect(entries.map(([entry]) => entry)).toEqual(['1-0', '1-1', '1-2', '1-3']);
    expect(await inspector.hget(redisKeys.meta(id), 'status')).toBe('finished');
  });

  it('sets the TTL again after Redis came back without the keys', async () => {
    const id = `queue-${Date.now()}-${counter++}`;
    queue.append(id, token(0));
    await eventually(async () => (await stored(id)) === 1);
    expect(await inspector.ttl(redisKeys.events(id))).toBeGreaterThan(0);
    // A Redis that restarts empty (no persistence, or a failover that lost the last writes).
    await inspector.flushall();
    await server.restart();
    await eventually(() => Promise.resolve(writer.status === 'ready'));
    queue.append(id, token(1));
    await eventually(async () => (await stored(id)) === 1);
    // The XADD recreated the key; without a new EXPIRE it would never expire (TTL -1).
    expect(await inspector.ttl(redisKeys.events(id))).toBeGreaterThan(TTL_S - 10);
    await queue.finish(id);
  }, 30_000);
});
