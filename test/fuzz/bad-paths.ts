import fc from 'fast-check';
import { type FuzzCase, type FuzzTarget, baseHeaders } from './fuzz-case';
import { nastyString, percentEncode, rawPathChar } from './nasty-strings';

/** Stream ids as they appear in a path: encoded, half-encoded, raw, traversal, very long. */
export const weirdId: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => percentEncode(text)),
  nastyString.map((text) => percentEncode(text)),
  fc.array(rawPathChar, { minLength: 1, maxLength: 30 }).map((chars) => chars.join('')),
  fc.constantFrom(
    '%2F',
    'a%2Fb',
    '..',
    '%2e%2e',
    '%',
    '%zz',
    '%E0%A4',
    '%00',
    '%252F',
    '.',
    ';',
    '*',
    '%C0%AF',
    '%ED%A0%80',
    '%FF',
  ),
  fc.integer({ min: 129, max: 6000 }).map((length) => 'i'.repeat(length)),
);

/** Attach or cancel a stream that does not exist (or is not this key's). */
export function badStreamIds(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const unknownId = weirdId.filter((id) => safeDecode(id) !== target.knownStreamId);
  const shapes = fc.tuple(
    unknownId,
    fc.constantFrom('', '/more', '/', '?lastEventId=x', '?lastEventId=1'),
  );
  const unknown = fc.tuple(shapes, fc.constantFrom('GET', 'DELETE')).map(
    ([[id, tail], method]): FuzzCase => ({
      label: `path: ${method} unknown stream id`,
      method,
      path: `/api/chat/streams/${id}${tail}`,
      headers: baseHeaders(target),
      validity: 'invalid',
    }),
  );
  const badCursor = fc
    .oneof(
      fc.constantFrom('x', '-1', '1e3', '0x1', '1234567890', '1.5'),
      nastyString.filter((text) => !/^\d{0,9}$/.test(text)),
    )
    .map(
      (cursor): FuzzCase => ({
        label: 'path: GET stream with a bad lastEventId',
        method: 'GET',
        path: `/api/chat/streams/${target.knownStreamId}?lastEventId=${percentEncode(cursor)}`,
        headers: baseHeaders(target),
        validity: 'invalid',
      }),
    );
  const streamCases = fc.oneof(
    { weight: 4, arbitrary: unknown },
    { weight: 1, arbitrary: badCursor },
  );
  if (!target.otherAuthorization) return streamCases;
  // To another key, a stream it did not start does not exist.
  const othersStream = fc.constantFrom('GET', 'DELETE').map(
    (method): FuzzCase => ({
      label: `path: ${method} another key's stream`,
      method,
      path: `/api/chat/streams/${target.knownStreamId}`,
      headers: { authorization: target.otherAuthorization ?? '' },
      validity: 'invalid',
    }),
  );
  return fc.oneof({ weight: 4, arbitrary: streamCases }, { weight: 1, arbitrary: othersStream });
}

/** Methods no stream route takes (HEAD must never start or follow one). */
export function badMethods(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const json = { ...baseHeaders(target), 'content-type': 'application/json' };
  const body = Buffer.from('{"query":"hi"}');
  const routes: [string, string[]][] = [
    ['/api/chat/stream?query=hi', ['HEAD', 'PUT', 'PATCH', 'OPTIONS', 'DELETE']],
    [`/api/chat/streams/${target.knownStreamId}`, ['HEAD', 'PUT', 'PATCH', 'OPTIONS', 'POST']],
    ['/api/chat/streams/no-such-stream', ['HEAD', 'PUT', 'PATCH', 'OPTIONS', 'POST']],
    ['/api/chat/streams', ['HEAD', 'GET', 'PUT', 'PATCH', 'OPTIONS', 'DELETE']],
  ];
  return fc
    .constantFrom(...routes)
    .chain(([path, methods]) =>
      fc.tuple(fc.constant(path), fc.constantFrom(...methods), fc.boolean()),
    )
    .map(
      ([path, method, withBody]): FuzzCase => ({
        label: `method: ${method}`,
        method,
        path,
        headers: withBody ? json : baseHeaders(target),
        body: withBody ? body : undefined,
        validity: 'invalid',
      }),
    );
}

export function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Routes that take no body, or do not exist: a bad JSON body or method there is still a 4xx. */
const OTHER_ROUTES = [
  '/health/live',
  '/health/ready',
  '/metrics',
  '/api',
  '/api/',
  '/api/chat',
  '/api/unknown',
  '/api/chat/stream/extra',
  '/api/chat/streams/a/b/c',
];

/** Any of `cases` (bad bodies) sent with another method to a route that does not take it. */
export function badOtherRoutes(cases: fc.Arbitrary<FuzzCase>): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      cases,
      fc.constantFrom(...OTHER_ROUTES),
      fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
    )
    .map(([fuzzCase, path, method]) => ({
      ...fuzzCase,
      label: `route: ${method} ${path}`,
      path,
      method,
    }));
}
