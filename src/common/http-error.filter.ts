import { type ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { RETRY_AFTER_SECONDS } from '../lifecycle/stream-admission';
import { StreamLogUnavailableError } from '../stream-log/stream-log';

interface HttpErrorLike {
  status: number;
  message: string;
  type?: string;
}

function isClientHttpError(error: unknown): error is HttpErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Storage outages become 503 + Retry-After. Errors raised by Express middleware (body-parser: 413 too large, 415 bad charset, 400 bad
 * JSON) are `http-errors`, not HttpExceptions; give them Nest's usual JSON shape too.
 */
@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  constructor(
    adapter: ConstructorParameters<typeof BaseExceptionFilter>[0],
    private readonly bodyLimitBytes: number,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof StreamLogUnavailableError) {
      host
        .switchToHttp()
        .getResponse<ServerResponse>()
        .setHeader('Retry-After', RETRY_AFTER_SECONDS);
      const body = {
        statusCode: 503,
        message: 'Stream storage is unavailable; retry shortly.',
        error: 'Service Unavailable',
      };
      super.catch(new HttpException(body, 503), host);
      return;
    }
    if (exception instanceof HttpException || !isClientHttpError(exception)) {
      super.catch(exception, host);
      return;
    }
    const message =
      exception.type === 'entity.too.large'
        ? `The request body is larger than ${this.bodyLimitBytes} bytes.`
        : exception.message;
    const body = { statusCode: exception.status, message, error: STATUS_CODES[exception.status] };
    super.catch(new HttpException(body, exception.status), host);
  }
}
