import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppExtensions } from '../../src/app.module';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { createApp } from '../../src/create-app';

export interface RunningApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the real application on a free loopback port, configured from `env` like `main.ts`;
 * `extensions` adds pipelines the way an embedding application would.
 */
export async function startApp(
  env: Record<string, string> = {},
  extensions: AppExtensions = {},
): Promise<RunningApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const app = await createApp(config, extensions);
  await app.listen(0, '127.0.0.1');
  const server: Server = app.getHttpServer();
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    config,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}
