import type { NestExpressApplication } from '@nestjs/platform-express';
import { refuseHeadOnStreamRoutes } from './refuse-head-on-stream-routes';
import { refusePrototypeQueryKeys } from './refuse-prototype-query-keys';

/**
 * Refusals that must run before any route, body parser or DTO: HEAD on stream routes (405) and
 * prototype keys in the query string (400). Install before the body parser, so a refused request's
 * body is never read.
 */
export function installRequestGuards(app: NestExpressApplication): void {
  app.use(refuseHeadOnStreamRoutes);
  app.use(refusePrototypeQueryKeys);
}
