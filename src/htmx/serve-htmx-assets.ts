import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { setPageSecurityHeaders } from '../demo-page/page-security-headers';

/**
 * htmx's own files, straight from node_modules (no CDN): htmx 4 with its SSE extension for
 * `/htmx`, htmx 2 with `htmx-ext-sse` for `/htmx/v2` (the two cannot share a page).
 */
export function serveHtmxAssets(app: NestExpressApplication): void {
  const assets: [string, string][] = [
    ['/htmx/assets/v4', dirname(require.resolve('htmx.org'))],
    ['/htmx/assets/v2', dirname(require.resolve('htmx2'))],
    ['/htmx/assets/v2-sse', dirname(require.resolve('htmx-ext-sse'))],
  ];
  for (const [prefix, directory] of assets) {
    app.useStaticAssets(directory, {
      prefix,
      index: false,
      setHeaders: (res: ServerResponse) => setPageSecurityHeaders(res),
    });
  }
}
