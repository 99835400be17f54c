import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request } from 'express';

/**
 * The htmx routes take what an htmx page sends: a form body. The app parses JSON for every route,
 * so without this a JSON body would pass as the same fields (415, like the JSON routes refuse a
 * form). Runs after the API key check and before validation.
 */
@Injectable()
export class FormBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.is('application/x-www-form-urlencoded')) return true;
    throw new UnsupportedMediaTypeException(
      'Send the form as application/x-www-form-urlencoded, as an htmx page does.',
    );
  }
}
