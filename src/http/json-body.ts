import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '../config/app-config';

/** Installs the JSON body parser of every route that takes JSON. */
export function installJsonBody(app: NestExpressApplication, config: AppConfig): void {
  app.useBodyParser('json', { limit: config.limits.bodyLimitBytes });
}
