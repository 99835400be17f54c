import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { RedisServer } from './redis-server';

const run = promisify(execFile);
export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/**
 * A real Redis Cluster of `masters` masters (no replicas) on loopback: each a redis-server with
 * `--cluster-enabled yes`, its own data directory (append-only file, fsync on every write, and
 * the node's cluster config file), joined by `redis-cli --cluster create`. A master can be
 * stopped and started again with the same port, node id and data.
 */
export class RedisCluster {
  private constructor(readonly servers: readonly RedisServer[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const servers = await Promise.all(
      Array.from({ length: masters }, () =>
        RedisServer.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          // Longer than any planned restart in the tests: a master that is back within it was
          // never marked failed, as in a rolling restart.
          '--cluster-node-timeout',
          '5000',
        ]),
      ),
    );
    const cluster = new RedisCluster(servers);
    try {
      await cluster.create();
      await cluster.waitUntilOk();
    } catch (error: unknown) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `REDIS_CLUSTER_NODES` for the gateway. */
  get nodesEnv(): string {
    return this.servers.map((server) => `127.0.0.1:${server.port}`).join(',');
  }

  /** The same nodes as a `redis+cluster://` URL. */
  get url(): string {
    return `redis+cluster://${this.nodesEnv}`;
  }

  /** ioredis `Cluster` startup nodes. */
  get startupNodes(): { host: string; port: number }[] {
    return this.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  }

  /** The master that serves `key` (its slot), asked of the cluster itself. */
  async ownerOf(key: string): Promise<RedisServer> {
    return this.withNode(this.servers[0], async (redis) => {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const shards = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const shard = shards.find(([from, to]) => slot >= from && slot <= to);
      const server = this.servers.find((candidate) => candidate.port === shard?.[2][1]);
      if (!server) throw new Error(`no master serves slot ${slot}`);
      return server;
    });
  }

  /** Runs `work` on a plain connection to one node (not cluster-aware). */
  async withNode<T>(server: RedisServer, work: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
    try {
      await redis.connect();
      return await work(redis);
    } finally {
      redis.disconnect();
    }
  }

  /** Waits until every node reports `cluster_state:ok` (after create, or after a restart). */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.servers.map((server) =>
          this.withNode(server, (redis) => redis.call('CLUSTER', 'INFO')).then(
            (info) => String(info).includes('cluster_state:ok'),
            () => false,
          ),
        ),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('Redis Cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }

  private async create(): Promise<void> {
    const nodes = this.servers.map((server) => `127.0.0.1:${server.port}`);
    try {
      await run(
        REDIS_CLI_BIN,
        ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
        { timeout: 30_000 },
      );
    } catch (error: unknown) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(
        `cannot create a Redis Cluster with ${REDIS_CLI_BIN} (${detail}); apt-get install -y redis-tools redis-server`,
      );
    }
  }
}
