import fc from 'fast-check';
import { badRequestId, withHeader } from './bad-headers';
import { safeDecode } from './bad-paths';
import { type FuzzCase, type FuzzTarget, baseHeaders, jsonPost } from './fuzz-case';
import { hasDotSegment } from './dot-segments';
import { brokenJson } from './json-breakage';
import { percentEncode, rawPathChar } from './nasty-strings';
import { arbitraryOpenAIBody, validOpenAIBody, wrongOpenAIField } from './openai-bodies';
import { badJsonRouteHeaders, truncatedUploads } from './view-headers';

const PATH = '/v1/chat/completions';

/** Requests to `POST /v1/chat/completions`: bad bodies, headers and methods, and valid ones. */
export function openAIFuzzCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const valid = validOpenAIBody(target);
  const validText = valid.map((body) => JSON.stringify(body));
  const post = (label: string, body: string | Buffer, validity: FuzzCase['validity'] = 'invalid') =>
    jsonPost({ target, label, path: PATH, body, validity, view: 'openai' });
  const route = { target, path: PATH, view: 'openai' as const, validBody: validText };
  const withId = (value: string | string[]) =>
    validText.map((body) => {
      const fuzzCase = post('header: X-Request-Id', body);
      return { ...fuzzCase, headers: withHeader(fuzzCase.headers, 'x-request-id', value) };
    });
  return fc.oneof(
    {
      weight: 30,
      arbitrary: wrongOpenAIField(target).map((body) => post('body: wrong field', body)),
    },
    {
      weight: 12,
      arbitrary: brokenJson(valid, target).map(([label, body]) => post(`body: ${label}`, body)),
    },
    { weight: 8, arbitrary: validText.map((body) => post('valid request', body, 'valid')) },
    {
      weight: 6,
      arbitrary: arbitraryOpenAIBody(target).map((body) =>
        post('body: arbitrary JSON', body, 'maybe-valid'),
      ),
    },
    { weight: 10, arbitrary: badJsonRouteHeaders(route) },
    { weight: 5, arbitrary: badRequestId.chain(withId) },
    // Taken by the finished known stream: 409, and no retry (x-should-retry: false).
    { weight: 3, arbitrary: withId(target.knownStreamId) },
    {
      weight: 2,
      arbitrary: truncatedUploads({ ...route, contentType: 'application/json' }),
    },
    { weight: 5, arbitrary: wrongOpenAIMethods(target) },
  );
}

/** Methods the `/v1` routes do not take (HEAD never starts a generation). */
function wrongOpenAIMethods(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const routes: [string, string[]][] = [
    [PATH, ['HEAD', 'GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']],
    ['/v1/models', ['HEAD', 'POST', 'PUT', 'DELETE']],
  ];
  return fc
    .constantFrom(...routes)
    .chain(([path, methods]) => fc.tuple(fc.constant(path), fc.constantFrom(...methods)))
    .map(
      ([path, method]): FuzzCase => ({
        label: `method: ${method}`,
        view: 'openai',
        method,
        path,
        headers: baseHeaders(target),
        validity: 'invalid',
      }),
    );
}

/** A path under `/v1/` that names no route (Express matches case-insensitively, slash or not). */
const unknownV1Tail: fc.Arbitrary<string> = fc
  .oneof(
    fc.array(rawPathChar, { minLength: 1, maxLength: 20 }).map((chars) => chars.join('')),
    fc.string({ unit: 'binary', maxLength: 20 }).map((text) => percentEncode(text)),
    fc.constantFrom(
      '',
      'completions',
      'chat',
      'chat/completion',
      'chat/completions/x',
      'responses',
      'embeddings',
      'models/gpt-fake',
      'files',
      'chat%2Fcompletions',
    ),
  )
  .filter((tail) => !/^(models|chat\/completions)\/?$/i.test(safeDecode(tail) ?? tail))
  // Paths that climb out of /v1/ have their own property (dot-segments.ts).
  .filter((tail) => !hasDotSegment(tail));

/**
 * Any method on a path under `prefix` that names no route: 404 in OpenAI's shape (HEAD: 405), so
 * a client pointed at the wrong path raises the SDK's NotFoundError with a readable message.
 */
export function unknownV1Paths(target: FuzzTarget, prefix: string): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(unknownV1Tail, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'))
    .map(
      ([tail, method]): FuzzCase => ({
        label: `path: ${method} unknown ${prefix} path`,
        view: 'openai',
        method,
        path: `${prefix}${tail}`,
        headers: { ...baseHeaders(target), 'content-type': 'application/json' },
        body: method === 'POST' ? Buffer.from('{}') : undefined,
        validity: 'invalid',
      }),
    );
}

/**
 * `/v1` in other letter cases: Express routes `/V1/chat/completions` to the OpenAI view, so its
 * refusals must be OpenAI's too, like an unknown path under it.
 */
export function otherCaseV1(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const prefix = fc.constantFrom('/V1/');
  const completions = fc.tuple(prefix, wrongOpenAIField(target)).map(([at, body]) => ({
    ...jsonPost({
      target,
      label: 'body: wrong field',
      path: `${at}chat/completions`,
      body,
      view: 'openai',
    }),
  }));
  return fc.oneof(
    completions,
    prefix.chain((at) => unknownV1Paths(target, at)),
  );
}
