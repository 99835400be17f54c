import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { bearerKey } from './bearer-key';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Requires `Authorization: Bearer <key>` with a key from API_KEYS, when API_KEYS is set. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keyDigests = config.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keyDigests.length === 0) return true;
    const key = bearerKey(context.switchToHttp().getRequest<Request>());
    // Compare digests in constant time so response timing does not reveal key prefixes.
    const given = key === undefined ? undefined : digest(key);
    if (given && this.keyDigests.some((known) => timingSafeEqual(known, given))) return true;
    throw new UnauthorizedException('A valid "Authorization: Bearer <key>" header is required.');
  }
}
