import {
  type ArgumentsHost,
  Catch,
  HttpException,
  InternalServerErrorException,
  Logger,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { RETRY_AFTER_SECONDS } from '../lifecycle/stream-admission';
import { openAIErrorType } from '../protocol/openai/openai-error';
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
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(
    adapter: ConstructorParameters<typeof BaseExceptionFilter>[0],
    private readonly bodyLimitBytes: number,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = this.toHttpException(exception, host);
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const retryAfter = res.getHeader('Retry-After');
    if (
      retryAfter !== undefined &&
      res.getHeader('retry-after-ms') === undefined &&
      !res.headersSent
    ) {
      // Both official OpenAI clients prefer the exact wait when it is given.
      res.setHeader('retry-after-ms', String(Number(retryAfter) * 1000));
    }
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    if (isOpenAIRoute(req) && !res.headersSent) {
      if (!http)
        this.logger.error(
          `unhandled on ${req.method ?? ''} ${req.url ?? ''}: ${String(exception)}`,
        );
      writeOpenAIError(res, http ?? new InternalServerErrorException('The server failed.'));
      return;
    }
    super.catch(http ?? exception, host);
  }

  /** The exception as an HttpException with Nest's body, or undefined for a server fault. */
  private toHttpException(exception: unknown, host: ArgumentsHost): HttpException | undefined {
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
      return new HttpException(body, 503);
    }
    if (exception instanceof HttpException) return exception;
    if (!isClientHttpError(exception)) return undefined;
    const message =
      exception.type === 'entity.too.large'
        ? `The request body is larger than ${this.bodyLimitBytes} bytes.`
        : exception.message;
    const body = { statusCode: exception.status, message, error: STATUS_CODES[exception.status] };
    return new HttpException(body, exception.status);
  }
}

function isOpenAIRoute(req: IncomingMessage): boolean {
  // Express matches routes case-insensitively: /V1/chat/completions reaches the OpenAI routes.
  return /^\/v1(?:[/?]|$)/i.test(req.url ?? '');
}

/** OpenAI's error shape for the `/v1` routes, so the official clients raise the right error. */
function writeOpenAIError(res: ServerResponse, exception: HttpException): void {
  const status = exception.getStatus();
  const response = exception.getResponse();
  const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message = Array.isArray(raw)
    ? raw.join('; ')
    : typeof raw === 'string'
      ? raw
      : exception.message;
  const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
  const body = { error: { message, type: openAIErrorType(status), param: null, code } };
  res.statusCode = status;
  // The official clients retry 409 (a lock timeout at OpenAI); here it is an X-Request-Id that
  // stays taken for STREAM_TTL_S, so a retry would only get the same answer later.
  if (status === 409) res.setHeader('x-should-retry', 'false');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
