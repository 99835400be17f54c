/**
 * The wire view whose route a case targets: it decides the error shape a 4xx must have (Nest's;
 * OpenAI's `{"error": {...}}` on `/v1`; any 4xx for htmx forms) and how a valid answer looks.
 */
export type FuzzView = 'native' | 'openai' | 'ui' | 'htmx';

/** One generated request, and whether it is bad by construction. */
export interface FuzzCase {
  /** The kind of bad input, for failure messages and the summary. */
  label: string;
  /** `native` when absent. */
  view?: FuzzView;
  /**
   * For a request that starts a detached generation and answers with a page (htmx 2's turn):
   * the stream to read to its end, so the generation's upstream call counts for this case.
   */
  followPath?: string;
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
   * `valid`: good by construction, so it must get its view's well-formed answer, never a 4xx.
   */
  validity: 'invalid' | 'maybe-valid' | 'valid';
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
  /** An AI SDK chat of the key in `authorization` whose generation has finished. */
  knownChatId: string;
  maxQueryChars: number;
  maxInputChars: number;
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
  view?: FuzzView;
}): FuzzCase {
  const { target, label, path, body, validity = 'invalid', view } = options;
  return {
    label,
    view,
    method: 'POST',
    path,
    headers: { ...baseHeaders(target), 'content-type': 'application/json' },
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    validity,
  };
}

/** The routes that take the JSON body of a chat request. */
export const BODY_ROUTES = ['/api/chat/stream', '/api/chat/streams'] as const;
