import { ChatHttpError } from './errors.js';

/** A ChatHttpError from a refused request, with the message of Nest's JSON error body. */
export async function refusal(response: Response): Promise<ChatHttpError> {
  const body: unknown = await response.json().catch(() => undefined);
  const message = (body as { message?: unknown } | undefined)?.message;
  const text = Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : `HTTP ${response.status}`;
  return new ChatHttpError(response.status, text, body);
}
