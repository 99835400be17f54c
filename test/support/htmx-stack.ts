import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { FakeOpenAIServer } from './fake-openai-server';
import { startNginx, type RunningNginx } from './nginx';
import { openAiEnv } from './openai-env';
import { RedisServer } from './redis-server';
import { startRecordingApp, type RecordingApp } from './start-recording-app';
import { TcpProxy } from './tcp-proxy';

/**
 * Everything between a browser and the model, for the htmx pages: Chromium, a network that can
 * be cut (TcpProxy), the project's nginx config on the real nginx, the app (recording the
 * requests that reach it), the real ChatOpenAI against a scripted fake upstream, and the stream
 * log in memory or in a real Redis.
 */
export interface HtmxStack {
  upstream: FakeOpenAIServer;
  service: RecordingApp;
  nginx: RunningNginx;
  network: TcpProxy;
  /** The browser's way in: the cuttable network in front of nginx. */
  pageUrl: string;
  browser: Browser;
  redis?: RedisServer;
  stop(): Promise<void>;
}

export async function startHtmxStack(options: { withRedis: boolean }): Promise<HtmxStack> {
  const upstream = new FakeOpenAIServer();
  const redis = options.withRedis ? await RedisServer.start() : undefined;
  const service = await startRecordingApp(
    openAiEnv(await upstream.start(), redis ? { REDIS_URL: redis.url } : {}),
  );
  const nginx = await startNginx([service.port]);
  const network = new TcpProxy(Number(new URL(nginx.url).port));
  const pageUrl = await network.start();
  const browser = await launchChromium();
  return {
    upstream,
    service,
    nginx,
    network,
    pageUrl,
    browser,
    redis,
    stop: async () => {
      await browser.close();
      await network.close();
      await nginx.stop();
      await service.close();
      await upstream.close();
      await redis?.stop();
    },
  };
}
