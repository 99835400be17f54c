import type { AppConfig } from '../src/config/app-config';
import { loadConfig } from '../src/config/load-config';
import { InstanceId } from '../src/lifecycle/instance-id';
import { RedisClients } from '../src/redis/redis-clients';
import { RedisSubscriber } from '../src/redis/redis-subscriber';
import { toStoredEvent, type StoredEvent } from '../src/protocol/stored-event';
import { MemoryStreamLog } from '../src/stream-log/memory-stream-log';
import { RedisStreamLog } from '../src/stream-log/redis-stream-log';
import { StreamLog, StreamLogUnavailableError } from '../src/stream-log/stream-log';
import { RedisCluster } from './support/redis-cluster';
import { RedisServer } from './support/redis-server';

interface Subject {
  log: StreamLog;
  close(): Promise<void>;
}

type Factory = (env: Record<string, string>) => Promise<Subject>;

let redis: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
}, 60_000);
afterAll(() => Promise.all([redis?.stop(), cluster?.stop()]));

async function redisLog(config: AppConfig, instance = new InstanceId()) {
  const clients = new RedisClients(config);
  const log = new RedisStreamLog(clients, new RedisSubscriber(clients), instance, config);
  await log.onModuleInit();
  return {
    log,
    clients,
    close: async () => {
      await log.beforeApplicationShutdown();
      await clients.onApplicationShutdown();
    },
  };
}

const factories: [string, Factory][] = [
  [
    'memory',
    (env) => {
      const log = new MemoryStreamLog(loadConfig(env));
      return Promise.resolve({ log, close: () => Promise.resolve() });
    },
  ],
  ['redis', (env) => redisLog(loadConfig({ ...env, REDIS_URL: redis.url }))],
  [
    'redis cluster (3 masters)',
    (env) => redisLog(loadConfig({ ...env, REDIS_CLUSTER_NODES: cluster.nodesEnv })),
  ],
];

function token(id: number, content: string): StoredEvent {
  return toStoredEvent({ id, type: 'token', data: { content } });
}

const end = (id: number): StoredEvent =>
  toStoredEvent({ id, type: 'end', data: { reason: 'stop' } });

let counter = 0;
const freshId = (): string => `contract-${Date.now()}-${counter++}`;

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(factories)('StreamLog contract: %s', (_name, factory) => {
  let subject: Subject;
  let log: StreamLog;

  beforeAll(async () => {
    subject = await factory({ STREAM_TTL_S: '1', STREAM_IDLE_TIMEOUT_MS: '1000' });
    log = subject.log;
  });
  afterAll(() => subject.close());

  const create = (requestId: string, owner?: string): Promise<boolean> =>
    log.create({ requestId, owner, instanceId: 'i-1', createdAt: 1_790_000_000_000 });

  it('claims an id once and records who owns it', async () => {
    const id = freshId();
    expect(await create(id, 'key-a')).toBe(true);
    expect(await create(id)).toBe(false);
    expect(await log.meta(id)).toEqual({
      requestId: id,
      owner: 'key-a',
      status: 'running',
      instanceId: 'i-1',
      createdAt: 1_790_000_000_000,
    });
    expect(await log.meta(freshId())).toBeUndefined();
  });

  it('returns appended events in order, byte for byte, after any id', async () => {
    const id = freshId();
    await create(id);
    const events = [token(0, 'naïve 🙂'), token(1, '\n\ndata: x'), token(2, 'c'), end(3)];
    for (const event of events) log.append(id, event);
    await eventually(async () => (await log.range(id, -1, 10)).length === 4);
    expect(await log.range(id, -1, 10)).toEqual(events);
    expect(await log.range(id, 1, 10)).toEqual(events.slice(2));
    expect(await log.range(id, 0, 2)).toEqual(events.slice(1, 3));
    expect(await log.range(id, 3, 10)).toEqual([]);
  });

  it('keeps 1,000 events appended in bursts in order, with no gap', async () => {
    const id = freshId();
    await create(id);
    for (let burst = 0; burst < 10; burst++) {
      for (let index = 0; index < 100; index++)
        log.append(id, token(burst * 100 + index, `${index}`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.finish(id);
    const stored: StoredEvent[] = [];
    let after = -1;
    for (;;) {
      const batch = await log.range(id, after, 300);
      if (batch.length === 0) break;
      stored.push(...batch);
      after = batch[batch.length - 1].id;
    }
    expect(stored.map((event) => event.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('marks a stream finished after its events', async () => {
    const id = freshId();
    await create(id);
    log.append(id, token(0, 'a'));
    log.append(id, end(1));
    await log.finish(id);
    expect((await log.meta(id))?.status).toBe('finished');
    expect(await log.range(id, -1, 10)).toHaveLength(2);
  });

  it('wakes a watcher on append, even one that starts waiting after the append', async () => {
    const id = freshId();
    await create(id);
    const watcher = await log.watch(id);
    const never = new AbortController().signal;
    expect(await watcher.changed(50, never)).toBe(false);
    const waiting = watcher.changed(5000, never);
    log.append(id, token(0, 'a'));
    expect(await waiting).toBe(true);
    log.append(id, token(1, 'b'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The append landed while nobody waited: the next wait returns at once.
    const started = Date.now();
    expect(await watcher.changed(5000, never)).toBe(true);
    expect(Date.now() - started).toBeLessThan(50);
    const aborted = new AbortController();
    const pending = watcher.changed(5000, aborted.signal);
    aborted.abort();
    expect(await pending).toBe(false);
    watcher.close();
  });

  it('forgets a finished stream after STREAM_TTL_S, so the id can be used again', async () => {
    const id = freshId();
    await create(id);
    log.append(id, end(0));
    await log.finish(id);
    expect(await create(id)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await log.meta(id)).toBeUndefined();
    expect(await log.range(id, -1, 10)).toEqual([]);
    expect(await create(id)).toBe(true);
    expect(await log.range(id, -1, 10)).toEqual([]);
  });

  it('keeps a running stream that pauses longer than STREAM_TTL_S, then expires it once finished', async () => {
    const id = freshId();
    await create(id, 'owner-p');
    log.append(id, token(0, 'before the pause'));
    // A long tool call or a slow model: nothing written for more than twice the TTL (1 s).
    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect(await log.meta(id)).toMatchObject({ status: 'running', owner: 'owner-p' });
    expect(await log.range(id, -1, 10)).toEqual([token(0, 'before the pause')]);
    expect(await create(id)).toBe(false);
    log.append(id, end(1));
    await log.finish(id);
    expect(await log.range(id, -1, 10)).toEqual([token(0, 'before the pause'), end(1)]);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await log.meta(id)).toBeUndefined();
  }, 10_000);

  it('closes an abandoned stream once, and only at the last id it expects', async () => {
    const id = freshId();
    await create(id);
    log.append(id, token(0, 'a'));
    await eventually(async () => (await log.range(id, -1, 10)).length === 1);
    const closing = [token(1, 'x'), end(2)];
    expect(await log.closeAbandoned(id, 5, closing)).toBe(false);
    expect(await log.closeAbandoned(id, 0, closing)).toBe(true);
    expect(await log.closeAbandoned(id, 0, closing)).toBe(false);
    expect(await log.range(id, -1, 10)).toEqual([token(0, 'a'), ...closing]);
    expect((await log.meta(id))?.status).toBe('finished');
  });

  it('is healthy while its storage is reachable', () => {
    expect(log.isHealthy()).toBe(true);
  });
});

describe('MemoryStreamLog bound', () => {
  it('holds at most MEMORY_LOG_MAX_STREAMS, dropping the oldest finished streams first', async () => {
    const log = new MemoryStreamLog(loadConfig({ MEMORY_LOG_MAX_STREAMS: '3' }));
    const meta = (requestId: string) => ({ requestId, instanceId: 'i', createdAt: 0 });
    await log.create(meta('running-1'));
    for (const id of ['done-1', 'done-2', 'done-3']) {
      await log.create(meta(id));
      await log.finish(id);
    }
    expect(log.size).toBe(3);
    expect(await log.meta('running-1')).toBeDefined();
    expect(await log.meta('done-1')).toBeUndefined();
    expect(await log.meta('done-3')).toBeDefined();
  });
});

describe('MemoryStreamLog byte budget', () => {
  const meta = (requestId: string) => ({ requestId, instanceId: 'i', createdAt: 0 });
  const big = (id: number): StoredEvent => token(id, 'x'.repeat(1000));

  it('drops the oldest finished streams first when MEMORY_LOG_MAX_BYTES is exceeded', async () => {
    const log = new MemoryStreamLog(loadConfig({ MEMORY_LOG_MAX_BYTES: '10kb' }));
    for (const id of ['a', 'b', 'c', 'd']) {
      await log.create(meta(id));
      for (let event = 0; event < 3; event++) log.append(id, big(event));
      await log.finish(id);
    }
    // 4 streams of about 3 KB each: the oldest had to go to stay within 10 KB.
    expect(await log.meta('a')).toBeUndefined();
    expect(await log.meta('d')).toBeDefined();
    expect(log.bytes).toBeLessThanOrEqual(10 * 1024);
  });

  it('never drops a running stream; refuses new streams (503) while running ones fill it', async () => {
    const log = new MemoryStreamLog(loadConfig({ MEMORY_LOG_MAX_BYTES: '4kb' }));
    await log.create(meta('running'));
    for (let event = 0; event < 5; event++) log.append('running', big(event));
    await expect(log.create(meta('next'))).rejects.toBeInstanceOf(StreamLogUnavailableError);
    expect((await log.range('running', -1, 10)).length).toBe(5);
    await log.finish('running');
    // Once finished it is the oldest finished stream, and goes to make room.
    expect(await log.create(meta('next'))).toBe(true);
    expect(await log.meta('running')).toBeUndefined();
  });
});

describe('RedisStreamLog specifics', () => {
  it('uses hash-tagged keys, explicit ids and a TTL on every key', async () => {
    const { log, clients, close } = await redisLog(loadConfig({ REDIS_URL: redis.url }));
    const id = freshId();
    await log.create({ requestId: id, instanceId: 'i', createdAt: 0 });
    log.append(id, token(0, 'a'));
    log.append(id, token(1, 'b'));
    await log.finish(id);
    const entries = await clients.command.xrange(`sg:{${id}}:events`, '-', '+');
    expect(entries.map(([entry]) => entry)).toEqual(['1-0', '1-1']);
    expect(await clients.command.ttl(`sg:{${id}}:events`)).toBeGreaterThan(590);
    expect(await clients.command.ttl(`sg:{${id}}:meta`)).toBeGreaterThan(590);
    await close();
  });

  it('tells whether another instance is alive by its heartbeat key', async () => {
    const config = loadConfig({ REDIS_URL: redis.url });
    const other = new InstanceId();
    const a = await redisLog(config);
    const b = await redisLog(config, other);
    expect(await a.log.isInstanceAlive(other.id)).toBe(true);
    await b.close();
    expect(await a.log.isInstanceAlive(other.id)).toBe(false);
    expect(await a.log.isInstanceAlive('never-existed')).toBe(false);
    await a.close();
  });

  it('rides out a Redis outage: appends queue, reads fail clearly, all lands when it returns', async () => {
    const { log, close } = await redisLog(loadConfig({ REDIS_URL: redis.url }));
    const id = freshId();
    await log.create({ requestId: id, instanceId: 'i', createdAt: 0 });
    log.append(id, token(0, 'before'));
    await eventually(async () => (await log.range(id, -1, 10)).length === 1);

    await redis.stop();
    await eventually(() => Promise.resolve(!log.isHealthy()));
    expect(() => log.append(id, token(1, 'during'))).not.toThrow();
    log.append(id, token(2, 'outage'));
    await expect(log.meta(id)).rejects.toBeInstanceOf(StreamLogUnavailableError);
    await expect(log.range(id, -1, 10)).rejects.toBeInstanceOf(StreamLogUnavailableError);
    expect(log.appendFailures).toBeGreaterThan(0);

    await redis.restart();
    await eventually(() => Promise.resolve(log.isHealthy()), 5000);
    log.append(id, end(3));
    await log.finish(id);
    const stored = await log.range(id, -1, 10);
    expect(stored.map((event) => event.id)).toEqual([0, 1, 2, 3]);
    await close();
  }, 20_000);
});
