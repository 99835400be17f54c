import fc from 'fast-check';
import { REQUEST_ID_PATTERN } from '../../src/chat/request-id';
import { badAuthorization, badLastEventId, withHeader } from './bad-headers';
import { type FuzzCase, type FuzzTarget, baseHeaders } from './fuzz-case';
import {
  type FormField,
  arbitraryForm,
  encodeForm,
  prototypeKeyForm,
  validQuestionForm,
  wrongQuestionForm,
} from './htmx-forms';

const FORM_TYPE = 'application/x-www-form-urlencoded';
const QUESTION_ROUTES = ['/htmx/chat', '/htmx/v2/chat'] as const;

/** The one request id a form names, when it is well formed (what the server starts it under). */
function requestIdOf(fields: FormField[]): string | undefined {
  const ids = fields.filter(([name]) => name === 'requestId').map(([, value]) => value);
  return ids.length === 1 && REQUEST_ID_PATTERN.test(ids[0]) ? ids[0] : undefined;
}

function formPost(options: {
  target: FuzzTarget;
  label: string;
  path: string;
  fields: FormField[];
  plus: boolean;
  validity: FuzzCase['validity'];
}): FuzzCase {
  const { target, label, path, fields, plus, validity } = options;
  const requestId = requestIdOf(fields);
  return {
    label,
    view: 'htmx',
    method: 'POST',
    path,
    headers: { ...baseHeaders(target), 'content-type': FORM_TYPE },
    body: Buffer.from(encodeForm(fields, plus)),
    validity,
    // htmx 2's turn starts a detached generation; its stream is read to the end.
    followPath: path === '/htmx/v2/chat' && requestId ? `/htmx/streams/${requestId}` : undefined,
  };
}

/** The question routes and Stop with good, broken and arbitrary forms. */
function forms(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const question = (
    label: string,
    fields: fc.Arbitrary<FormField[]>,
    validity: FuzzCase['validity'],
  ) =>
    fc
      .tuple(fields, fc.constantFrom(...QUESTION_ROUTES), fc.boolean())
      .map(([form, path, plus]) => formPost({ target, label, path, fields: form, plus, validity }));
  const stop = (label: string, fields: fc.Arbitrary<FormField[]>, validity: FuzzCase['validity']) =>
    fc.tuple(fields, fc.boolean()).map(([form, plus]) => ({
      ...formPost({ target, label, path: '/htmx/stop', fields: form, plus, validity }),
      upstreamCallsAllowed: 0,
    }));
  const stopFields = fc.oneof(
    fc.uuid().map((id): FormField[] => [['requestId', id]]),
    wrongQuestionForm(target).map((form) => form.filter(([name]) => name !== 'query')),
  );
  return fc.oneof(
    { weight: 12, arbitrary: question('form: wrong field', wrongQuestionForm(target), 'invalid') },
    { weight: 5, arbitrary: question('form: valid question', validQuestionForm(), 'valid') },
    { weight: 4, arbitrary: question('form: arbitrary', arbitraryForm(), 'maybe-valid') },
    { weight: 2, arbitrary: stop('form: stop', stopFields, 'maybe-valid') },
    { weight: 1, arbitrary: stop('form: arbitrary stop', arbitraryForm(), 'maybe-valid') },
  );
}

/** A valid question with one bad header: content type, Last-Event-ID, key. */
function badFormHeaders(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const contentType = fc.constantFrom(
    undefined,
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/json',
    `${FORM_TYPE}; charset=utf-16`,
    `${FORM_TYPE}; charset=nonsense`,
  );
  const cases: fc.Arbitrary<[string, string, string | string[] | undefined]>[] = [
    contentType.map((value) => ['header: Content-Type', 'content-type', value]),
    // Only the htmx 4 route resumes by Last-Event-ID; a bad one is refused before anything else.
    badLastEventId.map((value) => ['header: Last-Event-ID', 'last-event-id', value]),
  ];
  if (target.authorization) {
    cases.push(badAuthorization.map((value) => ['header: Authorization', 'authorization', value]));
  }
  return fc
    .tuple(fc.oneof(...cases), validQuestionForm(), fc.constantFrom(...QUESTION_ROUTES))
    .filter(([[, name], , path]) => name !== 'last-event-id' || path === '/htmx/chat')
    .map(([[label, name, value], fields, path]) => {
      const fuzzCase = formPost({ target, label, path, fields, plus: false, validity: 'invalid' });
      return { ...fuzzCase, headers: withHeader(fuzzCase.headers, name, value) };
    });
}

/**
 * Re-posts that name an existing stream (the known one, or one another key owns) or carry a
 * Last-Event-ID: a resume (htmx 4 replays, or a bare `end`), a 409 (htmx 2), never a new call.
 */
function resumingForms(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const cursor = fc.integer({ min: 0, max: 40 }).map(String);
  const shapes = fc.oneof(
    // htmx 4 re-posts the known stream's form: a replay after the cursor.
    fc.option(cursor).map((after) => ['/htmx/chat', target.knownStreamId, after] as const),
    // A cut re-post of a stream that is gone: a bare end, so the extension stops reconnecting.
    fc.tuple(fc.uuid(), cursor).map(([id, after]) => ['/htmx/chat', id, after] as const),
    // htmx 2 has no resume by form: the id is taken (409).
    fc.constant(['/htmx/v2/chat', target.knownStreamId, null] as const),
  );
  return shapes.map(([path, id, after]) => {
    const fields: FormField[] = [
      ['query', 'hi'],
      ['requestId', id],
    ];
    const fuzzCase = formPost({
      target,
      label: 'form: resume',
      path,
      fields,
      plus: false,
      validity: 'maybe-valid',
    });
    const headers =
      after === null ? fuzzCase.headers : { ...fuzzCase.headers, 'last-event-id': after };
    return { ...fuzzCase, headers, followPath: undefined, upstreamCallsAllowed: 0 };
  });
}

/** Every kind of request to the htmx form routes. */
export function htmxFormFuzzCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 6, arbitrary: forms(target) },
    { weight: 2, arbitrary: badFormHeaders(target) },
    { weight: 1, arbitrary: resumingForms(target) },
    { weight: 1, arbitrary: wrongHtmxMethods(target) },
  );
}

/** Question and Stop forms with a prototype key among their fields: a 400 on every route. */
export function htmxPrototypeKeyFormCase(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(prototypeKeyForm(), fc.constantFrom(...QUESTION_ROUTES, '/htmx/stop'), fc.boolean())
    .map(([fields, path, plus]) =>
      formPost({ target, label: 'form: prototype key', path, fields, plus, validity: 'invalid' }),
    );
}

/** Methods the htmx routes do not take (HEAD never starts or follows a generation). */
function wrongHtmxMethods(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const routes: [string, string[]][] = [
    ['/htmx/chat', ['HEAD', 'GET', 'PUT', 'DELETE']],
    ['/htmx/v2/chat', ['HEAD', 'GET', 'PUT', 'DELETE']],
    ['/htmx/stop', ['HEAD', 'GET', 'DELETE']],
    [`/htmx/streams/${target.knownStreamId}`, ['HEAD', 'POST', 'DELETE']],
  ];
  return fc
    .constantFrom(...routes)
    .chain(([path, methods]) => fc.tuple(fc.constant(path), fc.constantFrom(...methods)))
    .map(
      ([path, method]): FuzzCase => ({
        label: `method: ${method}`,
        view: 'htmx',
        method,
        path,
        headers: baseHeaders(target),
        validity: 'invalid',
      }),
    );
}
