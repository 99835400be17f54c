import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { parseJsonBody } from './parse-json-body';

const JSON_TYPE = 'application/json';

/** The `charset` parameter of a Content-Type, lower-cased, if it has one. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

/** Turns the raw bytes of a JSON request into its parsed object, or a 400/415 in Nest's shape. */
function parseJsonRequest(req: Request, _res: Response, next: NextFunction): void {
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || !req.is(JSON_TYPE)) {
    next();
    return;
  }
  const charset = charsetOf(req.headers['content-type']);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    // JSON between systems is UTF-8 (RFC 8259); guessing another charset only hides mistakes.
    next(new UnsupportedMediaTypeException('A JSON body must be UTF-8.'));
    return;
  }
  try {
    req.body = parseJsonBody(raw);
    next();
  } catch (error: unknown) {
    next(error);
  }
}

/**
 * Installs the JSON body parser of every route that takes JSON. Express's own parser is plain
 * `JSON.parse`: it lets prototype keys and any nesting depth through to class-transformer, which
 * then crashes (500). Reading raw bytes keeps BODY_LIMIT (413) and decompression; the parse is ours.
 */
export function installJsonBody(app: NestExpressApplication, config: AppConfig): void {
  app.useBodyParser('raw', { type: JSON_TYPE, limit: config.limits.bodyLimitBytes });
  app.use(parseJsonRequest);
}
