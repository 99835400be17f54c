import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAppProcess } from './support/app-process';
import { freePort } from './support/nginx';
import { endReason, readStream } from './support/sse-client';

const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** The compiled service as `npm start` runs it (npm test builds it first). */
describe('the service process', () => {
  it('stops at boot with one line naming a bad variable', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'Invalid configuration: PORT must be a whole number, got "eighty"\n',
    );
  });

  it('listens with a deep accept queue, so a burst of new streams is not refused', async () => {
    const app = await startAppProcess({ LOG_LEVEL: 'silent' });
    try {
      // For a listening socket `ss` shows the backlog in Send-Q; the kernel caps it at somaxconn.
      const listing = spawnSync('ss', ['-ltnH', `sport = :${app.port}`], { encoding: 'utf8' });
      if (listing.error)
        throw new Error(`ss (Debian package iproute2) is needed: ${listing.error.message}`);
      const [, , backlog] = listing.stdout.trim().split(/\s+/);
      const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
      expect(Number(backlog)).toBe(Math.min(4096, somaxconn));
    } finally {
      await app.stop();
    }
  });

  it('on SIGTERM ends running streams with shutdown and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        DEMO_TOKEN_DELAY_MS: '100',
        SHUTDOWN_GRACE_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) resolve();
      });
    });
    const stream = readStream(`http://127.0.0.1:${port}/api/chat/stream`, {
      body: { query: 'still talking' },
      onEvent: (event) => {
        if (event.id === '1') child.kill('SIGTERM');
      },
    });
    const result = await stream;
    expect(endReason(result)).toBe('shutdown');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(await exited).toBe(0);
  });
});
