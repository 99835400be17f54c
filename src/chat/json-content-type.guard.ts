import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request } from 'express';

/** 415 for a POST whose body is not JSON; runs before validation so the message is the right one. */
@Injectable()
export class JsonContentTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.is('application/json')) return true;
    throw new UnsupportedMediaTypeException('Content-Type must be application/json.');
  }
}
