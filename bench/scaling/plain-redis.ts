import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '../../test/support/nginx';
import { ping } from '../../test/support/redis-server';

export interface PlainRedis {
  url: string;
  port: number;
  pid: number;
  client: Redis;
  /** A field of `INFO <section>` as a number. */
  info(section: string, field: string): Promise<number>;
  /** Calls of one command so far (`INFO commandstats`), 0 if never called. */
  calls(command: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A redis-server as docker-compose.yml runs it (no RDB snapshots, no append-only file), so its
 * CPU per command is what production pays; test/support's has fsync on every write.
 */
export async function startPlainRedis(): Promise<PlainRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new Error(`cannot run redis-server (${error.message}); apt-get install -y redis-server`),
      ),
    ),
  );
  const ready = (async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await ping(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server on ${port} did not answer`);
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    // Never leave a redis-server behind when it did not come up in time.
    child.kill('SIGKILL');
    throw error;
  }
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    client,
    info: async (section, field) => {
      const text = await client.info(section);
      const match = new RegExp(`^${field}:(\\S+)`, 'm').exec(text);
      if (!match) throw new Error(`INFO ${section} has no ${field}`);
      return Number(match[1]);
    },
    calls: async (command) => {
      const text = await client.info('commandstats');
      const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(text);
      return match ? Number(match[1]) : 0;
    },
    stop: async () => {
      client.disconnect();
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
