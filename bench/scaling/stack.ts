import { readFileSync } from 'node:fs';
import { startAppProcess, type AppProcess } from '../../test/support/app-process';
import { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { startNginx, type RunningNginx } from '../../test/support/nginx';
import { openAiEnv } from '../../test/support/openai-env';
import { startPlainRedis, type PlainRedis } from './plain-redis';
import { childPids } from './proc-probe';

/** The deployment of docker-compose.yml on loopback: nginx → one gateway → Redis, fake upstream. */
export interface Stack {
  upstream: FakeOpenAIServer;
  redis: PlainRedis;
  app: AppProcess;
  appPid: number;
  nginx: RunningNginx;
  nginxWorkers: number[];
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  // What has started so far, stopped in reverse if a later part fails to start.
  const started: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    const upstream = new FakeOpenAIServer();
    const upstreamUrl = await upstream.start();
    started.push(() => upstream.close());
    const redis = await startPlainRedis();
    started.push(() => redis.stop());
    const app = await startAppProcess(
      openAiEnv(upstreamUrl, {
        REDIS_URL: redis.url,
        MAX_CONCURRENT_STREAMS: '50000',
        LOG_LEVEL: 'error',
      }),
    );
    started.push(() => app.stop());
    const nginx = await startNginx([app.port]);
    started.push(() => nginx.stop());
    const pidPath = /^pid (\S+);/m.exec(nginx.conf)?.[1];
    if (!pidPath) throw new Error('rendered nginx.conf names no pid file');
    const master = Number(readFileSync(pidPath, 'utf8').trim());
    const nginxWorkers = childPids(master);
    if (nginxWorkers.length === 0) throw new Error(`nginx master ${master} has no workers`);
    return {
      upstream,
      redis,
      app,
      appPid: app.child.pid ?? 0,
      nginx,
      nginxWorkers,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
