import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { findPrototypeKey } from './prototype-keys';

/**
 * Express middleware: `400` for a query string using a prototype key (`?constructor=x`,
 * `?__proto__=x`, `?toString=x`); class-transformer crashes on them (500) while building a DTO.
 */
export function refusePrototypeQueryKeys(req: Request, _res: Response, next: NextFunction): void {
  const key = findPrototypeKey(req.query);
  if (key === undefined) {
    next();
    return;
  }
  next(
    new BadRequestException(
      `The query string must not use the parameter "${key}": it names a prototype member.`,
    ),
  );
}
