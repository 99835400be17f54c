import type { IncomingMessage } from 'node:http';

/** The bearer token of a request, if it sent one. */
export function bearerKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
