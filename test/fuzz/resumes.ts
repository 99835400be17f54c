import fc from 'fast-check';
import { type FuzzCase, type FuzzTarget, baseHeaders } from './fuzz-case';

/**
 * Well-formed resumes and attaches of the finished known stream, with any cursor: a replay or a
 * 204, and never a new upstream call (the GET form is idempotent per stream).
 */
export function resumes(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const cursor = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(999_999_999)).map(String);
  const id = target.knownStreamId;
  const shapes = fc
    .tuple(cursor, fc.nat(5))
    .map(([after, shape]): [string, Record<string, string>] => {
      switch (shape) {
        case 0:
          return [`/api/chat/streams/${id}`, { 'last-event-id': after }];
        case 1:
          return [`/api/chat/streams/${id}?lastEventId=${after}`, {}];
        case 2:
          return [`/api/chat/streams/${id}`, {}];
        case 3:
          return [`/api/chat/stream?query=hi&requestId=${id}&lastEventId=${after}`, {}];
        case 4:
          return [`/api/chat/stream?query=hi`, { 'x-request-id': id, 'last-event-id': after }];
        default:
          // Names no stream, but carries a cursor: a reconnect with nothing to resume.
          return [`/api/chat/stream?query=hi&lastEventId=${after}`, {}];
      }
    });
  return shapes.map(
    ([path, headers]): FuzzCase => ({
      label: 'resume',
      method: 'GET',
      path,
      headers: { ...baseHeaders(target), ...headers },
      validity: 'maybe-valid',
      upstreamCallsAllowed: 0,
    }),
  );
}
