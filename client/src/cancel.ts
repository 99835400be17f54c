import { ChatHttpError } from './errors.js';

export interface CancelOptions {
  baseUrl: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/**
 * Cancels a stream on the server (`DELETE /api/chat/streams/{id}`): the upstream LLM call is
 * closed and every attached client gets `end: cancelled`. Resolves true when it was running,
 * false when it had already finished; throws ChatHttpError otherwise (e.g. 404 unknown).
 */
export async function cancel(requestId: string, options: CancelOptions): Promise<boolean> {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl}/api/chat/streams/${encodeURIComponent(requestId)}`;
  const response = await doFetch(url, { method: 'DELETE', headers: options.headers });
  if (response.status === 202) return true;
  if (response.status === 409) return false;
  const body: unknown = await response.json().catch(() => undefined);
  throw new ChatHttpError(response.status, `cancel failed with HTTP ${response.status}`, body);
}
