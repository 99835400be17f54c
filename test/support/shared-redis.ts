import Redis from 'ioredis';
import { RedisCluster } from './redis-cluster';
import { RedisServer } from './redis-server';

/** Gateway connections carry this client name (see src/redis/redis-clients.ts). */
const GATEWAY_NAME = 'llm-stream-gateway';

type Entries = [id: string, fields: string[]][];

/**
 * The Redis that scale-out instances share, as one server or as a 3-master cluster, so one set
 * of cases runs on both (test/support/scale-out-cases.ts).
 */
export interface SharedRedis {
  readonly label: string;
  /** What the gateway needs to reach it (REDIS_URL or REDIS_CLUSTER_NODES). */
  readonly env: Record<string, string>;
  /**
   * STREAM_TTL_S for the instances: short, so a test can watch an id expire, yet longer than
   * the outage the tests cause (a running stream's keys are renewed every third of it, and
   * whatever lapsed while its server was down is gone when it comes back).
   */
  readonly streamTtlSeconds: number;
  /** Ids of the stream's entries that Redis holds now (read on the server that owns them). */
  storedIds(requestId: string): Promise<number[]>;
  /** Takes down the server holding `requestId`'s keys; resolves with how to bring it back. */
  takeDown(requestId: string): Promise<() => Promise<void>>;
  /**
   * Checks that `instances` gateway processes hold a fixed set of connections, however many
   * readers are attached to `requestId`, and that its wake-ups use the expected pub/sub.
   */
  expectSharedConnections(requestId: string, instances: number): Promise<void>;
  stop(): Promise<void>;
}

const idsOf = (entries: Entries): number[] =>
  entries.map(([id]) => Number(id.slice(id.indexOf('-') + 1)));

async function gatewayClients(redis: Redis): Promise<string[]> {
  return String(await redis.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => line.includes(GATEWAY_NAME));
}

export async function startSingleRedis(): Promise<SharedRedis> {
  const server = await RedisServer.start();
  const withRedis = async <T>(work: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(server.url);
    try {
      return await work(redis);
    } finally {
      redis.disconnect();
    }
  };
  return {
    label: 'one Redis server',
    env: { REDIS_URL: server.url },
    streamTtlSeconds: 4,
    storedIds: (requestId) =>
      withRedis(async (redis) => idsOf(await redis.xrange(`sg:{${requestId}}:events`, '-', '+'))),
    takeDown: async () => {
      await server.stop();
      return () => server.startAgain();
    },
    expectSharedConnections: (requestId, instances) =>
      withRedis(async (redis) => {
        // Two connections per instance (commands, subscriber), however many readers.
        expect(await gatewayClients(redis)).toHaveLength(2 * instances);
        const [, subscribers] = (await redis.call(
          'PUBSUB',
          'NUMSUB',
          `sg:{${requestId}}:wake`,
        )) as [string, number];
        expect(subscribers).toBeGreaterThanOrEqual(1);
        expect(subscribers).toBeLessThanOrEqual(instances);
      }),
    stop: () => server.stop(),
  };
}

export async function startRedisCluster(): Promise<SharedRedis & { cluster: RedisCluster }> {
  const cluster = await RedisCluster.start();
  return {
    label: 'a 3-master Redis Cluster',
    cluster,
    // The URL form here; redis-cluster.e2e-spec.ts uses REDIS_CLUSTER_NODES.
    env: { REDIS_URL: cluster.url },
    // A restarted master takes writes 2 s after it is back (Redis Cluster's own delay), after
    // 1-2 s of downtime: a 4 s TTL would lapse during the outage test.
    streamTtlSeconds: 8,
    storedIds: async (requestId) => {
      const key = `sg:{${requestId}}:events`;
      const owner = await cluster.ownerOf(key);
      return cluster.withNode(owner, async (redis) => idsOf(await redis.xrange(key, '-', '+')));
    },
    takeDown: async (requestId) => {
      const owner = await cluster.ownerOf(`sg:{${requestId}}:events`);
      // A crash, not a shutdown: only what Redis acknowledged (fsynced, appendfsync always) stays.
      await owner.stop('SIGKILL');
      return async () => {
        await owner.startAgain();
        await cluster.waitUntilOk();
      };
    },
    expectSharedConnections: async (requestId, instances) => {
      const wake = `sg:{${requestId}}:wake`;
      const owner = await cluster.ownerOf(wake);
      for (const server of cluster.servers) {
        await cluster.withNode(server, async (redis) => {
          const clients = await gatewayClients(redis);
          // One sharded-subscriber connection per instance on every master, whatever the readers.
          expect(clients.filter((line) => line.includes('(ssubscriber)'))).toHaveLength(instances);
          // Plus its command connection and the subscriber client's own: a fixed few.
          expect(clients.length).toBeLessThanOrEqual(3 * instances);
          const [, classic] = (await redis.call('PUBSUB', 'NUMSUB', wake)) as [string, number];
          expect(classic).toBe(0);
          const [, sharded] = (await redis.call('PUBSUB', 'SHARDNUMSUB', wake)) as [string, number];
          if (server === owner) {
            expect(sharded).toBeGreaterThanOrEqual(1);
            expect(sharded).toBeLessThanOrEqual(instances);
          } else {
            expect(sharded).toBe(0);
          }
        });
      }
    },
    stop: () => cluster.stop(),
  };
}
