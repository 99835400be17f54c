import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setPageSecurityHeaders } from './page-security-headers';

/**
 * Paths of the API views. The static files are never looked up for them: the file server
 * resolves `/v1/%2e%2e/index.html` to `/index.html` and would answer an API path with the page.
 */
const API_PATH = /^\/(?:api|v1|htmx)(?:\/|$)/i;

/** Serves `public/` (the demo chat page at `/`, built by `npm run build:page`). */
export function serveDemoPage(app: NestExpressApplication): void {
  const files = express.static(join(__dirname, '..', '..', 'public'), {
    index: 'index.html',
    redirect: false,
    setHeaders: (res: ServerResponse) => setPageSecurityHeaders(res),
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (API_PATH.test(req.path)) next();
    else void files(req, res, next);
  });
}
