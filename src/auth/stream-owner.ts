import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { bearerKey } from './bearer-key';

/** Who owns the streams a request starts or may see: its API key, or nobody without API_KEYS. */
export function streamOwner(req: IncomingMessage, config: AppConfig): string | undefined {
  return config.apiKeys.length > 0 ? bearerKey(req) : undefined;
}
