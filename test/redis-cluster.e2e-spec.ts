import { HttpException } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import Redis from 'ioredis';
import { RedisCancelBus } from '../src/abort/redis-cancel-bus';
import { loadConfig } from '../src/config/load-config';
import { StreamStartRateLimit } from '../src/limits/stream-start-rate-limit';
import { InstanceId } from '../src/lifecycle/instance-id';
import { toStoredEvent, type StoredEvent } from '../src/protocol/stored-event';
import { RedisClients } from '../src/redis/redis-clients';
import { RedisSubscriber } from '../src/redis/redis-subscriber';
import { RedisStreamLog } from '../src/stream-log/redis-stream-log';
import { StreamLogUnavailableError } from '../src/stream-log/stream-log';
import { RedisCluster } from './support/redis-cluster';
import type { RedisServer } from './support/redis-server';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);
afterAll(() => cluster?.stop());

async function clusterLog(instance = new InstanceId()) {
  const config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodesEnv });
  const clients = new RedisClients(config);
  const subscriber = new RedisSubscriber(clients);
  const log = new RedisStreamLog(clients, subscriber, instance, config);
  await log.onModuleInit();
  return {
    log,
    clients,
    subscriber,
    close: async () => {
      await log.beforeApplicationShutdown();
      await clients.onApplicationShutdown();
    },
  };
}

const token = (id: number, content: string): StoredEvent =>
  toStoredEvent({ id, type: 'token', data: { content } });

let counter = 0;
const freshId = (): string => `cluster-${Date.now()}-${counter++}`;

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** [classic subscribers, sharded subscribers] of `channel` on each master, in server order. */
async function subscribersOf(channel: string): Promise<[number, number][]> {
  return Promise.all(
    cluster.servers.map((server) =>
      cluster.withNode(server, async (redis) => {
        const [, classic] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        const [, sharded] = (await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [
          string,
          number,
        ];
        return [classic, sharded] as [number, number];
      }),
    ),
  );
}

/** What `subscribersOf` should find: `sharded` subscribers on `owner` only, no classic ones. */
const onlyShardedOn = (owner: RedisServer, sharded: number): [number, number][] =>
  cluster.servers.map((server) => [0, server === owner ? sharded : 0]);

/** Messages a plain connection receives on `channel`, classic or sharded, on one node. */
async function listen(
  server: RedisServer,
  channel: string,
  sharded: boolean,
): Promise<{ messages: string[]; stop: () => void }> {
  const messages: string[] = [];
  const listener = new Redis(server.port, '127.0.0.1');
  listener.on(sharded ? 'smessage' : 'message', (_channel: string, message: string) =>
    messages.push(message),
  );
  await (sharded ? listener.ssubscribe(channel) : listener.subscribe(channel));
  return { messages, stop: () => listener.disconnect() };
}

describe('RedisStreamLog on a real 3-master Redis Cluster', () => {
  it('keeps every key of a stream on one master, and spreads streams over the masters', async () => {
    const { log, close } = await clusterLog();
    try {
      const owners = new Set<number>();
      for (let index = 0; index < 30; index++) {
        const id = freshId();
        await log.create({ requestId: id, instanceId: 'i', createdAt: 0 });
        await log.setAlias(`alias-${id}`, id);
        log.append(id, token(0, 'a'));
        await log.finish(id);
        const owner = await cluster.ownerOf(`sg:{${id}}:events`);
        owners.add(owner.port);
        for (const key of [`sg:{${id}}:meta`, `sg:{${id}}:wake`]) {
          expect((await cluster.ownerOf(key)).port).toBe(owner.port);
        }
        expect(await log.resolveAlias(`alias-${id}`)).toBe(id);
      }
      expect(owners.size).toBeGreaterThanOrEqual(2);
    } finally {
      await close();
    }
  });

  it('creates and closes streams on every master in the same tick (scripts are routed by key, not pipelined by script text)', async () => {
    const { log, close } = await clusterLog();
    try {
      const ids = Array.from({ length: 60 }, () => freshId());
      // One tick: ioredis auto-pipelines all of them; each must go to its own slot's master.
      const created = await Promise.all(
        ids.map((id) => log.create({ requestId: id, instanceId: 'gone', createdAt: 0 })),
      );
      expect(created).toEqual(ids.map(() => true));
      const owners = new Set(
        await Promise.all(ids.map(async (id) => (await cluster.ownerOf(`sg:{${id}}:meta`)).port)),
      );
      expect(owners.size).toBe(cluster.servers.length);
      const closed = await Promise.all(
        ids.map((id) =>
          log.closeAbandoned(id, -1, [
            toStoredEvent({ id: 0, type: 'end', data: { reason: 'error' } }),
          ]),
        ),
      );
      expect(closed).toEqual(ids.map(() => true));
      for (const id of ids.slice(0, 5)) {
        expect((await log.range(id, -1, 10)).map((event) => event.type)).toEqual(['end']);
        expect((await log.meta(id))?.status).toBe('finished');
      }
    } finally {
      await close();
    }
  });

  it('tells whether another instance is alive by its heartbeat key', async () => {
    const other = new InstanceId();
    const a = await clusterLog();
    const b = await clusterLog(other);
    expect(await a.log.isInstanceAlive(other.id)).toBe(true);
    await b.close();
    expect(await a.log.isInstanceAlive(other.id)).toBe(false);
    await a.close();
  });

  it('wakes live readers through sharded pub/sub on the owning master only', async () => {
    const { log, close } = await clusterLog();
    const reader = await clusterLog();
    const id = freshId();
    const wake = `sg:{${id}}:wake`;
    const owner = await cluster.ownerOf(wake);
    const elsewhere = cluster.servers.find((server) => server !== owner)!;
    // A classic PUBLISH is broadcast to every node: a classic subscriber on another master
    // would hear it. A sharded one on the owner hears SPUBLISH.
    const classic = await listen(elsewhere, wake, false);
    const sharded = await listen(owner, wake, true);
    try {
      await log.create({ requestId: id, instanceId: 'gone', createdAt: 0 });
      const watchers = await Promise.all([reader.log.watch(id), reader.log.watch(id)]);
      // Two watchers in one process share one subscription.
      expect(await subscribersOf(wake)).toEqual(
        cluster.servers.map((server) => [server === elsewhere ? 1 : 0, server === owner ? 2 : 0]),
      );
      const never = new AbortController().signal;
      const woke = watchers[0].changed(5_000, never);
      log.append(id, token(0, 'a'));
      expect(await woke).toBe(true);
      // The abandoned-stream script wakes readers too (SPUBLISH inside Lua, one slot).
      await eventually(async () => (await log.range(id, -1, 10)).length === 1);
      await watchers[1].changed(0, never);
      const closed = watchers[1].changed(5_000, never);
      expect(await log.closeAbandoned(id, 0, [token(1, 'x')])).toBe(true);
      expect(await closed).toBe(true);
      await eventually(() => Promise.resolve(sharded.messages.length === 2));
      expect(sharded.messages).toEqual(['0', '-1']);
      expect(classic.messages).toEqual([]);
      for (const watcher of watchers) watcher.close();
      // The last watcher gone, the process leaves the channel (the test's own listeners stay).
      const expected = (readers: number) =>
        cluster.servers.map((server) => [
          server === elsewhere ? 1 : 0,
          server === owner ? 1 + readers : 0,
        ]);
      await eventually(
        async () => JSON.stringify(await subscribersOf(wake)) === JSON.stringify(expected(0)),
      );
    } finally {
      classic.stop();
      sharded.stop();
      await Promise.all([close(), reader.close()]);
    }
  });

  it('restarts of the master owning a stream lose nothing acknowledged; the writer fills in the rest', async () => {
    const { log, close } = await clusterLog();
    const watcher = await clusterLog();
    try {
      const id = freshId();
      await log.create({ requestId: id, instanceId: 'i', createdAt: 0 });
      const appended: StoredEvent[] = [];
      const append = (event: StoredEvent): void => {
        appended.push(event);
        log.append(id, event);
      };
      for (let index = 0; index < 10; index++) append(token(index, `before ${index}`));
      // Acknowledged: read back from the master (appendfsync always: on disk before the reply).
      await eventually(async () => (await log.range(id, -1, 100)).length === 10);
      const acknowledged = await log.range(id, -1, 100);
      const live = await watcher.log.watch(id);
      const owner = await cluster.ownerOf(`sg:{${id}}:events`);

      await owner.stop('SIGKILL');
      await eventually(() => Promise.resolve(!log.isHealthy()));
      for (let index = 10; index < 20; index++) append(token(index, `during ${index}`));
      await expect(log.range(id, -1, 100)).rejects.toBeInstanceOf(StreamLogUnavailableError);

      await owner.startAgain();
      await cluster.waitUntilOk();
      await eventually(() => Promise.resolve(log.isHealthy()), 10_000);
      await eventually(
        async () => (await log.range(id, -1, 100).catch(() => [])).length >= 20,
        10_000,
      );
      // The watcher's sharded subscription came back with the master: a new append wakes it.
      const never = new AbortController().signal;
      await live.changed(0, never);
      const woke = live.changed(5_000, never);
      append(toStoredEvent({ id: 20, type: 'end', data: { reason: 'stop' } }));
      await log.finish(id);
      expect(await woke).toBe(true);
      live.close();

      const stored = await log.range(id, -1, 100);
      expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(stored).toEqual(appended);
      expect((await log.meta(id))?.status).toBe('finished');
    } finally {
      await Promise.all([close(), watcher.close()]);
    }
  }, 45_000);
});

describe('cancel and rate limits on a real 3-master Redis Cluster', () => {
  async function cancelBus(instance = new InstanceId()) {
    const config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodesEnv });
    const clients = new RedisClients(config);
    const bus = new RedisCancelBus(clients, new RedisSubscriber(clients), instance);
    await bus.onModuleInit();
    const heard: string[] = [];
    bus.onCancel((requestId) => heard.push(requestId));
    return { bus, clients, heard, instance, close: () => clients.onApplicationShutdown() };
  }

  it('sends a cancel to the instance running the stream only, over its own sharded channel', async () => {
    const [a, b, c] = await Promise.all([cancelBus(), cancelBus(), cancelBus()]);
    const { log, close } = await clusterLog(a.instance);
    try {
      const id = freshId();
      await log.create({ requestId: id, instanceId: a.instance.id, createdAt: 0 });
      const channel = `sg:{instance:${a.instance.id}}:cancel`;
      expect(await subscribersOf(channel)).toEqual(
        onlyShardedOn(await cluster.ownerOf(channel), 1),
      );
      expect((await subscribersOf('sg:cancel')).every(([classic]) => classic === 0)).toBe(true);
      await b.bus.publish(id);
      await eventually(() => Promise.resolve(a.heard.length === 1));
      expect(a.heard).toEqual([id]);
      // Nothing runs an unknown stream: nothing to send, and no error.
      await c.bus.publish(freshId());
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([a.heard, b.heard, c.heard]).toEqual([[id], [], []]);
    } finally {
      await Promise.all([close(), a.close(), b.close(), c.close()]);
    }
  });

  it('counts stream starts of a key on two instances against one limit', async () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      API_KEYS: 'key-a,key-b',
      RATE_LIMIT_PER_MINUTE: '3',
    });
    const [one, two] = [new RedisClients(config), new RedisClients(config)];
    try {
      await Promise.all([one.waitUntilReady(), two.waitUntilReady()]);
      const limits = [new StreamStartRateLimit(config, one), new StreamStartRateLimit(config, two)];
      const response = () => new ServerResponse(new IncomingMessage(new Socket()));
      const owner = `key-a-${freshId()}`;
      await limits[0].consume(response(), owner);
      await limits[1].consume(response(), owner);
      await limits[0].consume(response(), owner);
      const refused = response();
      await expect(limits[1].consume(refused, owner)).rejects.toBeInstanceOf(HttpException);
      expect(Number(refused.getHeader('retry-after'))).toBeGreaterThanOrEqual(1);
      await expect(limits[0].consume(response(), owner)).rejects.toBeInstanceOf(HttpException);
      // The count is Redis's, on the master of its key's slot, not the memory insurance's.
      const key = `sg:rate:${owner}`;
      const master = await cluster.ownerOf(key);
      expect(
        Number(await cluster.withNode(master, (redis) => redis.get(key))),
      ).toBeGreaterThanOrEqual(3);
      await limits[1].consume(response(), `key-b-${freshId()}`);

      // The master holding the key's count down: the memory insurance limiter answers (a start is
      // neither refused for the outage nor a 500), and the count in Redis holds once it is back.
      await master.stop('SIGKILL');
      try {
        // Over the limit in Redis, but this instance's insurance has not counted it yet.
        const started = Date.now();
        await limits[0].consume(response(), owner);
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        await master.startAgain();
        await cluster.waitUntilOk();
      }
      await eventually(async () => {
        const refusedAgain = limits[1].consume(response(), owner).then(
          () => false,
          (error: unknown) => error instanceof HttpException,
        );
        return refusedAgain;
      }, 10_000);
    } finally {
      await Promise.all([one.onApplicationShutdown(), two.onApplicationShutdown()]);
    }
  });
});
