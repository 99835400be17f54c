import fc from 'fast-check';
import { REQUEST_ID_PATTERN } from '../../src/chat/request-id';
import { BODY_ROUTES, type FuzzCase, type FuzzTarget, baseHeaders } from './fuzz-case';
import { headerValue, trimHeader } from './nasty-strings';

const VALID_BODY = Buffer.from('{"query":"hi"}');

/** X-Request-Id values the contract refuses, as the server will see them once trimmed. */
export const badRequestId: fc.Arbitrary<string | string[]> = fc.oneof(
  headerValue.filter((value) => !REQUEST_ID_PATTERN.test(trimHeader(value))),
  fc.constantFrom('', ' ', '.x', '-x', 'a b', 'a/b', 'a'.repeat(129), 'é', 'a\tb', 'a,b'),
  // Sent twice, Node joins the values with ", ": never a valid id.
  fc.constant<string[]>(['a', 'b']),
);

/** Last-Event-ID values that are not an event id (not empty once trimmed: that means "absent"). */
export const badLastEventId: fc.Arbitrary<string | string[]> = fc.oneof(
  headerValue.filter((value) => {
    const seen = trimHeader(value);
    return seen !== '' && !/^\d{1,9}$/.test(seen);
  }),
  fc.constantFrom('-1', '1e3', '0x10', '1.5', '1234567890', 'abc', '+1'),
  fc.constant<string[]>(['1', '2']),
);

/** Content types the JSON routes refuse (415): not JSON, or JSON in another charset. */
export const badContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/json-seq',
    'application/ld+json',
    'json',
    'application/json; charset=latin1',
    'application/json; charset=utf-16le',
    'application/json; charset=iso-8859-1',
    'application/json; charset=nonsense',
  ),
  headerValue.filter((value) => !/json/i.test(value)),
);

/** Authorization values that carry no valid key (API_KEYS is `key-a,key-b` in the fuzz app). */
export const badAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic a2V5LWE=',
    'Bearer key-c',
    'Bearer key-a extra',
    'Bearer key-ax',
    'key-a',
  ),
  headerValue.filter((value) => !/^Bearer\s+key-[ab]\s*$/i.test(trimHeader(value))),
);

export function withHeader(
  headers: Record<string, string | string[]>,
  name: string,
  value: string | string[] | undefined,
): Record<string, string | string[]> {
  const copy = { ...headers };
  if (value === undefined) delete copy[name];
  else copy[name] = value;
  return copy;
}

/** One bad header on a request that is otherwise valid; all invalid by construction. */
export function badHeaders(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const json = { ...baseHeaders(target), 'content-type': 'application/json' };
  const requestId = fc
    .tuple(badRequestId, fc.constantFrom('POST', 'GET'), fc.constantFrom(...BODY_ROUTES))
    .map(
      ([value, method, path]): FuzzCase =>
        method === 'GET'
          ? {
              label: 'header: X-Request-Id',
              method,
              path: '/api/chat/stream?query=hi',
              headers: withHeader(baseHeaders(target), 'x-request-id', value),
              validity: 'invalid',
            }
          : {
              label: 'header: X-Request-Id',
              method,
              path,
              headers: withHeader(json, 'x-request-id', value),
              body: VALID_BODY,
              validity: 'invalid',
            },
    );
  const conflict = fc.constantFrom(...BODY_ROUTES).map(
    (path): FuzzCase => ({
      label: 'header: X-Request-Id in use',
      method: 'POST',
      path,
      headers: withHeader(json, 'x-request-id', target.knownStreamId),
      body: VALID_BODY,
      validity: 'invalid',
    }),
  );
  const lastEventId = fc
    .tuple(
      badLastEventId,
      fc.constantFrom(`/api/chat/streams/${target.knownStreamId}`, '/api/chat/stream?query=hi'),
    )
    .map(
      ([value, path]): FuzzCase => ({
        label: 'header: Last-Event-ID',
        method: 'GET',
        path,
        headers: withHeader(baseHeaders(target), 'last-event-id', value),
        validity: 'invalid',
      }),
    );
  const contentType = fc.tuple(badContentType, fc.constantFrom(...BODY_ROUTES)).map(
    ([value, path]): FuzzCase => ({
      label: 'header: Content-Type',
      method: 'POST',
      path,
      headers: withHeader(json, 'content-type', value),
      body: VALID_BODY,
      validity: 'invalid',
    }),
  );
  // The body is plain JSON, so any encoding but identity is a lie: 400 or 415.
  const contentEncoding = fc
    .tuple(
      fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'bogus', 'gzip, gzip', '*'),
      fc.constantFrom(...BODY_ROUTES),
    )
    .map(
      ([value, path]): FuzzCase => ({
        label: 'header: Content-Encoding',
        method: 'POST',
        path,
        headers: withHeader(json, 'content-encoding', value),
        body: VALID_BODY,
        validity: 'invalid',
      }),
    );
  const cases = [requestId, conflict, lastEventId, contentType, contentEncoding];
  if (target.authorization) {
    const routes = [
      ...BODY_ROUTES,
      '/api/chat/stream?query=hi',
      `/api/chat/streams/${target.knownStreamId}`,
    ];
    cases.push(
      fc
        .tuple(
          badAuthorization,
          fc.constantFrom(...routes),
          fc.constantFrom('POST', 'GET', 'DELETE'),
        )
        .map(
          ([value, path, method]): FuzzCase => ({
            label: 'header: Authorization',
            method,
            path,
            headers: withHeader(json, 'authorization', value),
            body: VALID_BODY,
            validity: 'invalid',
          }),
        ),
    );
  }
  return fc.oneof(...cases);
}
