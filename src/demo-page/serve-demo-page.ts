import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';

import { setPageSecurityHeaders } from './page-security-headers';

/** Serves `public/` (the demo chat page at `/`, built by `npm run build:page`). */
export function serveDemoPage(app: NestExpressApplication): void {
  app.useStaticAssets(join(__dirname, '..', '..', 'public'), {
    index: 'index.html',
    setHeaders: (res: ServerResponse) => setPageSecurityHeaders(res),
  });
}
