import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { loadConfig } from '../../src/config/load-config';
import { createApp } from '../../src/create-app';
import type { RunningApp } from './start-app';

/** A request as it reached the app (static files are served before the recorder sees them). */
export interface SeenRequest {
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
  lastEventId?: string;
  contentType?: string;
}

export interface RecordingApp extends RunningApp {
  /** Every request that reached the app's routes, in order of arrival. */
  readonly seen: SeenRequest[];
  /** The requests whose path starts with `prefix`. */
  seenUnder(prefix: string): SeenRequest[];
}

/**
 * The real application like `startApp`, plus a record of every request that reaches its routes:
 * what a test needs to show that a page made no request it should not have (an injected
 * `hx-get`), or that a client really reconnected (a request carrying Last-Event-ID).
 */
export async function startRecordingApp(env: Record<string, string>): Promise<RecordingApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const app = await createApp(config);
  const seen: SeenRequest[] = [];
  // Registered before listen(): Nest adds its routes at init, after this middleware.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    seen.push({
      method: req.method,
      url: req.originalUrl,
      lastEventId: req.get('last-event-id'),
      contentType: req.get('content-type'),
    });
    next();
  });
  await app.listen(0, '127.0.0.1');
  const server: Server = app.getHttpServer();
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    config,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    seenUnder: (prefix) => seen.filter((request) => request.url.startsWith(prefix)),
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}
