import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config/load-config';
import { ConfigError } from './config/config-error';
import { createApp } from './create-app';
import { installGracefulShutdown } from './lifecycle/graceful-shutdown';

/** Connections the kernel queues for the app before it accepts them. */
const LISTEN_BACKLOG = 4096;

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
  await app.init();
  // A burst of new streams arrives faster than one event loop accepts them: Node's default
  // backlog of 511 overflowed and nginx answered 502. The kernel caps this at net.core.somaxconn.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // createApp buffers log lines until the app is up (bufferLogs); app.listen() would flush them.
  app.flushLogs();
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `llm-stream-gateway listening on :${port} (provider ${config.llm.provider}, model ${config.llm.model})\n`,
  );
}

void bootstrap();
