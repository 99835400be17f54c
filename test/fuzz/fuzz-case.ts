/** One generated request, and whether it is bad by construction. */
export interface FuzzCase {
  /** The kind of bad input, for failure messages and the summary. */
  label: string;
  method: string;
  /** Already percent-encoded where it must be: sent as it is. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Send the body with `Transfer-Encoding: chunked` instead of a Content-Length. */
  chunked?: boolean;
  /** Send only this many bytes of the body, then drop the connection. */
  abortAfterBytes?: number;
  /**
   * `invalid`: bad by construction, so it must get a 4xx and never reach the upstream.
   * `maybe-valid`: arbitrary input that may happen to be valid; a clean stream is accepted too.
   */
  validity: 'invalid' | 'maybe-valid';
  /** Upstream calls a valid answer may cost: 1 by default, 0 for a resume (never regenerate). */
  upstreamCallsAllowed?: number;
}

/** What the generators need to know about the app under test. */
export interface FuzzTarget {
  /** The `Authorization` value of a valid key, when API_KEYS is set. */
  authorization?: string;
  /** The `Authorization` value of another valid key, which must not see the first key's streams. */
  otherAuthorization?: string;
  /** A finished stream of the key in `authorization`. */
  knownStreamId: string;
  maxQueryChars: number;
  maxTokens: number;
  allowedModels: readonly string[];
  bodyLimitBytes: number;
}

/** The headers every generated request starts from: valid auth, when the app has keys. */
export function baseHeaders(target: FuzzTarget): Record<string, string | string[]> {
  return target.authorization ? { authorization: target.authorization } : {};
}

/** A JSON POST whose body is `text` (or bytes), as it is. */
export function jsonPost(options: {
  target: FuzzTarget;
  label: string;
  path: string;
  body: string | Buffer;
  validity?: FuzzCase['validity'];
}): FuzzCase {
  const { target, label, path, body, validity = 'invalid' } = options;
  return {
    label,
    method: 'POST',
    path,
    headers: { ...baseHeaders(target), 'content-type': 'application/json' },
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    validity,
  };
}

/** The routes that take the JSON body of a chat request. */
export const BODY_ROUTES = ['/api/chat/stream', '/api/chat/streams'] as const;
