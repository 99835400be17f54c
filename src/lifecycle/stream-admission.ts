import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AdmissionTicket } from './admission-ticket';
import { ShutdownState } from './shutdown-state';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = '2';

/**
 * Whether this process takes another stream: 503 + Retry-After while shutting down or full,
 * 429 + Retry-After when the API key already runs MAX_STREAMS_PER_KEY streams here.
 *
 * The check and the reservation are one synchronous step: counting only registered streams and
 * registering them after an `await` (a Redis round trip) let 300 parallel requests past a limit
 * of 50. A ticket is counted from the moment it is handed out until it is released.
 */
@Injectable()
export class StreamAdmission {
  private admitted = 0;
  private readonly perOwner = new Map<string, number>();

  constructor(
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Streams holding a ticket now (admitted, starting or running). */
  get admittedCount(): number {
    return this.admitted;
  }

  admittedFor(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  /** Reserves a place or throws the HTTP error that says why not. */
  reserve(res: ServerResponse, owner: string | undefined): AdmissionTicket {
    this.refuseIfFull(res, owner);
    this.admitted++;
    if (owner !== undefined) this.perOwner.set(owner, this.admittedFor(owner) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.admitted--;
        if (owner === undefined) return;
        const left = this.admittedFor(owner) - 1;
        if (left > 0) this.perOwner.set(owner, left);
        else this.perOwner.delete(owner);
      },
    };
  }

  private refuseIfFull(res: ServerResponse, owner: string | undefined): void {
    if (this.shutdown.isShuttingDown) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('The server is shutting down; retry shortly.');
    }
    if (this.admitted >= this.config.limits.maxConcurrentStreams) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('Too many streams are running; retry shortly.');
    }
    const perKey = this.config.limits.maxStreamsPerKey;
    if (owner !== undefined && perKey > 0 && this.admittedFor(owner) >= perKey) {
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
