import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppExtensions } from './app.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { serveDemoPage } from './demo-page/serve-demo-page';
import { applyHttpServerSettings } from './http/http-server-settings';
import { installRequestGuards } from './http/install-request-guards';
import { installFormBody } from './http/form-body';
import { installJsonBody } from './http/json-body';
import { serveHtmxAssets } from './htmx/serve-htmx-assets';
import type { AppConfig } from './config/app-config';

/** Builds the application the same way for `main.ts` and for the tests. */
export async function createApp(
  config: AppConfig,
  extensions: AppExtensions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, extensions),
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  installRequestGuards(app);
  installJsonBody(app, config);
  installFormBody(app, config);
  applyHttpServerSettings(app.getHttpServer(), config.http);
  serveDemoPage(app);
  serveHtmxAssets(app);
  app.useGlobalFilters(new HttpErrorFilter(app.getHttpAdapter(), config.limits.bodyLimitBytes));
  app.setGlobalPrefix('api', {
    exclude: [
      'health/live',
      'health/ready',
      'metrics',
      '/',
      'v1/chat/completions',
      'v1/models',
      'htmx',
      'htmx/v2',
      'htmx/chat',
      'htmx/v2/chat',
      'htmx/stop',
      'htmx/streams/:requestId',
    ],
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Report every problem at once, but never echo the offending values back.
      validationError: { target: false, value: false },
    }),
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      // No allowedHeaders: the allowed origins may send what their clients send (the official
      // openai client adds its x-stainless-* headers, the AI SDK its own).
      exposedHeaders: [
        'X-Request-Id',
        'Retry-After',
        'retry-after-ms',
        'x-should-retry',
        'Location',
      ],
      maxAge: 600,
    });
  }
  return app;
}
