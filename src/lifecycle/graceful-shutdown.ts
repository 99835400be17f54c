import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortService } from '../abort/abort.service';
import type { AppConfig } from '../config/app-config';
import { ShutdownState } from './shutdown-state';

const POLL_MS = 25;
/** How long streams get to write their `end` after being aborted for shutdown. */
const ABORT_SETTLE_MS = 2_000;

async function waitForStreams(aborts: AbortService, deadline: number): Promise<void> {
  while (aborts.runningCount > 0 && Date.now() < deadline) await sleep(POLL_MS);
}

/**
 * Stops taking streams (503, readiness fails), lets running ones finish within
 * SHUTDOWN_GRACE_MS, ends the rest with `shutting_down` / `end: shutdown`, then closes the app.
 */
export async function gracefulShutdown(app: INestApplication, config: AppConfig): Promise<void> {
  app.get(ShutdownState).begin();
  const aborts = app.get(AbortService);
  await waitForStreams(aborts, Date.now() + config.stream.shutdownGraceMs);
  if (aborts.runningCount > 0) {
    aborts.abortAll('shutdown');
    await waitForStreams(aborts, Date.now() + ABORT_SETTLE_MS);
  }
  // Attached readers of streams that run elsewhere end now, and their clients resume elsewhere.
  app.get(ShutdownState).closeReaders();
  const server = app.getHttpServer() as Server;
  // Idle keep-alive sockets would otherwise hold `close()` open until they time out.
  server.closeIdleConnections();
  await app.close();
}

/** SIGTERM / SIGINT: shut down gracefully once, then exit 0. */
export function installGracefulShutdown(app: INestApplication, config: AppConfig): void {
  let started = false;
  const onSignal = (): void => {
    if (started) return;
    started = true;
    gracefulShutdown(app, config).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
