import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { bearerKey } from './bearer-key';

/**
 * Who owns the streams a request starts or may see: a digest of its API key, or nobody without
 * API_KEYS. A digest, so the key itself is never stored in the stream log, in Redis, in metrics
 * or in rate-limit keys.
 */
export function streamOwner(req: IncomingMessage, config: AppConfig): string | undefined {
  if (config.apiKeys.length === 0) return undefined;
  const key = bearerKey(req);
  return key === undefined ? undefined : ownerOfKey(key);
}

export function ownerOfKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
