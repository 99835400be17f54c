import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AbortService } from '../abort/abort.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from './shutdown-state';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = '2';

/**
 * Whether this process takes another stream: 503 + Retry-After while shutting down or full,
 * 429 + Retry-After when the API key already runs MAX_STREAMS_PER_KEY streams here.
 */
@Injectable()
export class StreamAdmission {
  constructor(
    private readonly shutdown: ShutdownState,
    private readonly aborts: AbortService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  check(res: ServerResponse, owner: string | undefined): void {
    if (this.shutdown.isShuttingDown) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('The server is shutting down; retry shortly.');
    }
    if (this.aborts.runningCount >= this.config.limits.maxConcurrentStreams) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('Too many streams are running; retry shortly.');
    }
    const perKey = this.config.limits.maxStreamsPerKey;
    if (owner !== undefined && perKey > 0 && this.aborts.runningFor(owner) >= perKey) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new HttpException(
        {
          statusCode: 429,
          message: `This API key already runs ${perKey} streams; retry when one ends.`,
          error: 'Too Many Requests',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }
}
