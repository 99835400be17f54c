import { BadRequestException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { findPrototypeKey } from './prototype-keys';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Prototype keys in a form body get the same 400 as in JSON or a query string. */
function refusePrototypeFormKeys(req: Request, _res: Response, next: NextFunction): void {
  if (req.is(FORM_TYPE) && findPrototypeKey(req.body) !== undefined) {
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
  });
  app.use(refusePrototypeFormKeys);
}
