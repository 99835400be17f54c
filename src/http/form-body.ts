import { BadRequestException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { findPrototypeKey } from './prototype-keys';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Set by the parser's `verify` when the raw form names a prototype key. */
const RESERVED_FIELD = Symbol('reservedFormField');

/**
 * Looks at the raw form before it is parsed: the parser silently drops a `__proto__` field, so
 * the parsed body cannot tell that one was sent.
 */
function markReservedFields(req: Request, _res: Response, raw: Buffer): void {
  const fields = Object.fromEntries(
    [...new URLSearchParams(raw.toString('utf8')).keys()].map((key) => [key, '']),
  );
  if (findPrototypeKey(fields) !== undefined) {
    (req as Request & { [RESERVED_FIELD]?: boolean })[RESERVED_FIELD] = true;
  }
}

/** Prototype keys in a form body get the same 400 as in JSON or a query string. */
function refusePrototypeFormKeys(req: Request, _res: Response, next: NextFunction): void {
  const marked = (req as Request & { [RESERVED_FIELD]?: boolean })[RESERVED_FIELD] === true;
  if (req.is(FORM_TYPE) && (marked || findPrototypeKey(req.body) !== undefined)) {
    next(new BadRequestException('The form uses a reserved field name.'));
    return;
  }
  next();
}

/** Form bodies, for the htmx pages' forms: flat fields only, as a browser sends them. */
export function installFormBody(app: NestExpressApplication, config: AppConfig): void {
  app.useBodyParser('urlencoded', {
    extended: false,
    limit: config.limits.bodyLimitBytes,
    parameterLimit: 20,
    verify: markReservedFields,
  });
  app.use(refusePrototypeFormKeys);
}
