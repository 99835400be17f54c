import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nginx';

export const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Whether a Redis answers PING on this loopback port (a raw socket: no client library needed). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A real redis-server on a free loopback port, with an append-only file so it can be stopped and
 * restarted mid-test (an outage) without losing what it had stored, as a production Redis would.
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    /** Its data directory (append-only file, and a cluster node's config file). */
    readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `extraArgs` are appended to the command line (e.g. `--cluster-enabled yes`). */
  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
    const server = new RedisServer(await freePort(), dir, extraArgs);
    await server.launch();
    return server;
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts it again after `stop`, with the same port, data directory and arguments. */
  async startAgain(): Promise<void> {
    await this.launch();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      ...this.extraArgs,
    ];
    const child = spawn(REDIS_BIN, args, { stdio: 'ignore' });
    this.child = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(
          new Error(`cannot run ${REDIS_BIN} (${error.message}); apt-get install -y redis-server`),
        ),
      );
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await Promise.race([ping(this.port), failed])) return;
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    throw new Error('redis-server did not answer PING within 10 s');
  }
}
