import fc from 'fast-check';
import { weirdId } from './bad-paths';
import { type FuzzCase, type FuzzTarget, baseHeaders, jsonPost } from './fuzz-case';
import { brokenJson } from './json-breakage';
import { arbitraryUiBody, validUiBody, wrongUiField } from './ui-chat-bodies';
import { badJsonRouteHeaders, truncatedUploads } from './view-headers';

const PATH = '/api/ui/chat';

/** `POST /api/ui/chat`: bad bodies and headers, and valid ones. */
function chatPosts(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const valid = validUiBody(target);
  const validText = valid.map((body) => JSON.stringify(body));
  const post = (label: string, body: string | Buffer, validity: FuzzCase['validity'] = 'invalid') =>
    jsonPost({ target, label, path: PATH, body, validity, view: 'ui' });
  const route = { target, path: PATH, view: 'ui' as const, validBody: validText };
  return fc.oneof(
    { weight: 30, arbitrary: wrongUiField(target).map((body) => post('body: wrong field', body)) },
    {
      weight: 12,
      arbitrary: brokenJson(valid, target).map(([label, body]) => post(`body: ${label}`, body)),
    },
    { weight: 8, arbitrary: validText.map((body) => post('valid request', body, 'valid')) },
    {
      weight: 5,
      arbitrary: arbitraryUiBody().map((body) => post('body: arbitrary JSON', body, 'maybe-valid')),
    },
    { weight: 8, arbitrary: badJsonRouteHeaders(route) },
    { weight: 2, arbitrary: truncatedUploads({ ...route, contentType: 'application/json' }) },
  );
}

/** Chat ids as they appear in a path, and the known chat (finished) for every key. */
function chatIds(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: weirdId },
    { weight: 1, arbitrary: fc.constantFrom(target.knownChatId, 'no-such-chat') },
  );
}

/**
 * Resume (`GET …/stream`: nothing runs, so 204, or a 4xx) and stop (`POST …/stop`: 404, or 409
 * for the finished known chat) of chats by any id, with stray tails; never an upstream call.
 */
function chatPaths(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const tail = fc.constantFrom('', '?x=1', '/', '/more');
  const authorization = target.otherAuthorization
    ? fc.constantFrom(target.authorization, target.otherAuthorization)
    : fc.constant(target.authorization);
  return fc
    .tuple(chatIds(target), fc.boolean(), tail, authorization, fc.boolean())
    .map(([id, resume, end, key, withBody]): FuzzCase => {
      const headers: Record<string, string> = key ? { authorization: key } : {};
      const bodyFor = resume ? undefined : withBody ? Buffer.from('{"x":') : undefined;
      if (bodyFor) headers['content-type'] = 'application/json';
      return {
        label: resume ? 'path: GET resume of a chat' : 'path: POST stop of a chat',
        view: 'ui',
        method: resume ? 'GET' : 'POST',
        path: `${PATH}/${id}/${resume ? 'stream' : 'stop'}${end}`,
        headers,
        body: bodyFor,
        // Nothing runs: a resume answers 204 and must never start anything.
        validity: resume ? 'maybe-valid' : 'invalid',
        upstreamCallsAllowed: 0,
      };
    });
}

/** Methods the routes do not take (HEAD never starts or follows a generation). */
function wrongUiMethods(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const routes: [string, string[]][] = [
    [PATH, ['HEAD', 'GET', 'PUT', 'DELETE', 'OPTIONS']],
    [`${PATH}/${target.knownChatId}/stream`, ['HEAD', 'POST', 'DELETE']],
    [`${PATH}/${target.knownChatId}/stop`, ['HEAD', 'GET', 'DELETE']],
  ];
  return fc
    .constantFrom(...routes)
    .chain(([path, methods]) => fc.tuple(fc.constant(path), fc.constantFrom(...methods)))
    .map(
      ([path, method]): FuzzCase => ({
        label: `method: ${method}`,
        view: 'ui',
        method,
        path,
        headers: baseHeaders(target),
        validity: 'invalid',
      }),
    );
}

/** Every kind of request to the AI SDK routes. */
export function uiChatFuzzCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 6, arbitrary: chatPosts(target) },
    { weight: 3, arbitrary: chatPaths(target) },
    { weight: 1, arbitrary: wrongUiMethods(target) },
  );
}
