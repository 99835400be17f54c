import fc from 'fast-check';
import { badLastEventId } from './bad-headers';
import { weirdId } from './bad-paths';
import type { FuzzCase, FuzzTarget } from './fuzz-case';
import { trimHeader } from './nasty-strings';

/**
 * `GET /htmx/streams/{id}` with weird ids and Last-Event-IDs, as htmx-ext-sse's EventSource
 * reconnects: a replay, a bare `end` (no such stream), a 4xx; never a 5xx or an upstream call.
 */
export function htmxStreamFuzzCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const id = fc.oneof(
    { weight: 4, arbitrary: weirdId },
    { weight: 1, arbitrary: fc.constantFrom(target.knownStreamId, 'no-such-stream') },
  );
  const lastEventId = fc.oneof(
    fc.constant(undefined),
    fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(999_999_999)).map(String),
    badLastEventId,
  );
  const keys = target.otherAuthorization
    ? fc.constantFrom(target.authorization, target.otherAuthorization)
    : fc.constant(target.authorization);
  return fc
    .tuple(id, fc.constantFrom('', '/', '?x=1', '/more'), lastEventId, keys)
    .map(([streamId, tail, cursor, key]): FuzzCase => {
      const headers: Record<string, string | string[]> = key ? { authorization: key } : {};
      if (cursor !== undefined) headers['last-event-id'] = cursor;
      // As the server reads it: Node joins repeated values with ", " and trims spaces and tabs.
      const seen = cursor === undefined ? '' : trimHeader([cursor].flat().join(', '));
      const badCursor = seen !== '' && !/^\d{1,9}$/.test(seen);
      return {
        label: badCursor ? 'path: bad Last-Event-ID' : 'path: htmx stream id',
        view: 'htmx',
        method: 'GET',
        path: `/htmx/streams/${streamId}${tail}`,
        headers,
        validity: badCursor ? 'invalid' : 'maybe-valid',
        upstreamCallsAllowed: 0,
      };
    });
}
