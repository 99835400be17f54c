import fc from 'fast-check';
import { type FuzzCase, type FuzzTarget, type FuzzView, baseHeaders } from './fuzz-case';

/** Where the routes of each view live; a dot segment must never lead out of them. */
const PREFIXES: [prefix: string, view: FuzzView][] = [
  ['/v1/', 'openai'],
  ['/v1/chat/', 'openai'],
  ['/api/', 'native'],
  ['/api/chat/', 'native'],
  ['/api/ui/chat/', 'ui'],
  ['/htmx/', 'htmx'],
];

/** `..` and `.` as a client may spell them: raw, percent-encoded, half-encoded. */
const dotSegment = fc.constantFrom('..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '.', '%2e');

/** Whether a path tail climbs out of its prefix once its dot segments are resolved. */
export function hasDotSegment(tail: string): boolean {
  return /(^|\/|%2f)(\.|%2e){1,2}(\/|%2f|$)/i.test(tail);
}

/**
 * GET paths under a view's prefix that climb out of it with dot segments (`/v1/%2e%2e/…`):
 * not a route, so a 4xx in the view's shape, never a redirect or a file from elsewhere.
 */
export function dotSegmentPaths(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.constantFrom(...PREFIXES),
      fc.array(dotSegment, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('', '/', '/index.html', '/htmx.css', '%2fhtmx.css', '/models'),
      fc.constantFrom('GET', 'POST'),
    )
    .map(
      ([[prefix, view], dots, end, method]): FuzzCase => ({
        label: `path: dot segments under ${prefix}`,
        view,
        method,
        path: `${prefix}${dots.join('/')}${end}`,
        headers: baseHeaders(target),
        validity: 'invalid',
      }),
    );
}
