import { type ArgumentsHost, Catch, HttpException, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { HttpErrorFilter } from '../common/http-error.filter';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { escapeHtml } from '../protocol/htmx/html';

/** The reason an HttpException gives, as one line of text. */
function reasonOf(exception: HttpException): string {
  const body = exception.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  const lines = [message].flat().filter((line): line is string => typeof line === 'string');
  return lines.length > 0 ? lines.join('; ') : exception.message;
}

/**
 * A refused question, as an htmx page shows it: a turn in the transcript saying why, and a fresh
 * request id for the next try (the refused one may be taken, e.g. on a 409).
 */
export function renderRefusal(question: unknown, reason: string): string {
  const asked =
    typeof question === 'string' && question.trim() !== ''
      ? `<p class="question">${escapeHtml(question)}</p>\n`
      : '';
  return `<article class="turn refused">
${asked}<p class="error" role="alert">Not sent: ${escapeHtml(reason)}</p>
</article>
<input type="hidden" name="requestId" id="request-id" value="${randomUUID()}" hx-swap-oob="true">`;
}

/**
 * Refusals of an htmx page's form (400, 401, 409, 415, 429, 503) as an HTML fragment its form
 * swaps into the transcript, instead of Nest's JSON, which htmx 4 would show as raw text and
 * htmx 2 not at all. Same status and headers; requests that are not from htmx (no `HX-Request`)
 * get the usual JSON from the global filter.
 */
@Catch()
@Injectable()
export class HtmxRefusalFilter extends HttpErrorFilter {
  constructor(adapterHost: HttpAdapterHost, @Inject(APP_CONFIG) config: AppConfig) {
    super(adapterHost.httpAdapter, config.limits.bodyLimitBytes);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const fromHtmx = req.get('hx-request') === 'true';
    if (!fromHtmx || !(exception instanceof HttpException) || res.headersSent) {
      super.catch(exception, host);
      return;
    }
    const body = req.body as { query?: unknown } | undefined;
    res
      .status(exception.getStatus())
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(renderRefusal(body?.query, reasonOf(exception)));
  }
}
