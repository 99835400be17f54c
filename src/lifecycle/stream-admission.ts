import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AbortService } from '../abort/abort.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from './shutdown-state';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = '2';

/** Whether this process takes another stream: 503 + Retry-After while shutting down or full. */
@Injectable()
export class StreamAdmission {
  constructor(
    private readonly shutdown: ShutdownState,
    private readonly aborts: AbortService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  check(res: ServerResponse): void {
    if (this.shutdown.isShuttingDown) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('The server is shutting down; retry shortly.');
    }
    if (this.aborts.runningCount >= this.config.limits.maxConcurrentStreams) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('Too many streams are running; retry shortly.');
    }
  }
}
