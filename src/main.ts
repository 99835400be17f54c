import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config/load-config';
import { ConfigError } from './config/config-error';
import { createApp } from './create-app';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const server = app.getHttpServer();
  installGracefulShutdown(app, config);
  await app.listen(config.port);
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `llm-stream-gateway listening on :${port} (provider ${config.llm.provider}, model ${config.llm.model})\n`,
  );
}

void bootstrap();
