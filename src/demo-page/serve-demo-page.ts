import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';

/** The page only talks to its own origin; model output it renders can never load or run code. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Serves `public/` (the demo chat page at `/`, built by `npm run build:page`). */
export function serveDemoPage(app: NestExpressApplication): void {
  app.useStaticAssets(join(__dirname, '..', '..', 'public'), {
    index: 'index.html',
    setHeaders: (res: ServerResponse) => {
      res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
    },
  });
}
