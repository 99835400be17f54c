import fc from 'fast-check';
import { badAuthorization, badContentType, withHeader } from './bad-headers';
import { type FuzzCase, type FuzzTarget, type FuzzView, baseHeaders } from './fuzz-case';

/** A JSON route of a view, and bodies it takes. */
export interface JsonRoute {
  target: FuzzTarget;
  path: string;
  view: FuzzView;
  validBody: fc.Arbitrary<string>;
}

function post(route: JsonRoute, label: string, body: string): FuzzCase {
  return {
    label,
    view: route.view,
    method: 'POST',
    path: route.path,
    headers: { ...baseHeaders(route.target), 'content-type': 'application/json' },
    body: Buffer.from(body),
    validity: 'invalid',
  };
}

/**
 * One bad header on an otherwise valid request: a Content-Type that is not JSON (415), a
 * Content-Encoding the body does not have, no or a wrong key (401). All invalid by construction.
 */
export function badJsonRouteHeaders(route: JsonRoute): fc.Arbitrary<FuzzCase> {
  const contentType = fc.tuple(route.validBody, badContentType).map(([body, value]) => {
    const fuzzCase = post(route, 'header: Content-Type', body);
    return { ...fuzzCase, headers: withHeader(fuzzCase.headers, 'content-type', value) };
  });
  const contentEncoding = fc
    .tuple(route.validBody, fc.constantFrom('gzip', 'deflate', 'br', 'bogus', 'gzip, gzip'))
    .map(([body, value]) => {
      const fuzzCase = post(route, 'header: Content-Encoding', body);
      return { ...fuzzCase, headers: withHeader(fuzzCase.headers, 'content-encoding', value) };
    });
  if (!route.target.authorization) return fc.oneof(contentType, contentEncoding);
  const authorization = fc.tuple(route.validBody, badAuthorization).map(([body, value]) => {
    const fuzzCase = post(route, 'header: Authorization', body);
    return { ...fuzzCase, headers: withHeader(fuzzCase.headers, 'authorization', value) };
  });
  return fc.oneof(contentType, contentEncoding, authorization);
}

/**
 * A valid request whose upload stops halfway: never complete, so it must never reach the upstream,
 * and the app must keep serving.
 */
export function truncatedUploads(
  route: Omit<JsonRoute, 'validBody'> & { validBody: fc.Arbitrary<string>; contentType: string },
): fc.Arbitrary<FuzzCase> {
  return fc.tuple(route.validBody, fc.boolean()).chain(([body, chunked]) =>
    fc.nat(body.length - 1).map(
      (sent): FuzzCase => ({
        label: 'body: truncated upload',
        view: route.view,
        method: 'POST',
        path: route.path,
        headers: { ...baseHeaders(route.target), 'content-type': route.contentType },
        body: Buffer.from(body),
        chunked,
        abortAfterBytes: sent,
        validity: 'invalid',
      }),
    ),
  );
}
