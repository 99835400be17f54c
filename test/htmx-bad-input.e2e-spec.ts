import { FakeOpenAIServer } from './support/fake-openai-server';
import { questionForm, requestHtmx, type HtmxRequestOptions } from './support/htmx-client';
import { openAiEnv } from './support/openai-env';
import { startApp, type RunningApp } from './support/start-app';

/** One refused request: what is sent besides the route, and the status and message it must get. */
interface BadCase {
  name: string;
  request: HtmxRequestOptions;
  status: number;
  message: RegExp;
  /** Only for the route that reads it (htmx 4 resumes by re-posting with Last-Event-ID). */
  onlyOn?: string;
}

const form = (pairs: [string, string][]): HtmxRequestOptions => ({ form: pairs });
const raw = (contentType: string, body: string): HtmxRequestOptions => ({
  rawBody: body,
  headers: { 'content-type': contentType },
});

const BAD_CASES: BadCase[] = [
  {
    name: 'no query',
    request: form([['requestId', 'bad-1']]),
    status: 400,
    message: /query must be a string/,
  },
  {
    name: 'an empty query',
    request: form(questionForm('', 'bad-2')),
    status: 400,
    message: /query must not be blank/,
  },
  {
    name: 'a blank query',
    request: form(questionForm(' \n\t ', 'bad-3')),
    status: 400,
    message: /query must not be blank/,
  },
  {
    name: 'a NUL in the query',
    request: form(questionForm('a\u0000b', 'bad-4')),
    status: 400,
    message: /NUL/,
  },
  {
    name: 'a query over MAX_QUERY_CHARS',
    request: form(questionForm('x'.repeat(1001), 'bad-5')),
    status: 400,
    message: /at most 1000 characters/,
  },
  {
    name: 'no requestId',
    request: form([['query', 'hello']]),
    status: 400,
    message: /requestId must be/,
  },
  {
    name: 'a requestId with a space',
    request: form(questionForm('hello', 'bad id')),
    status: 400,
    message: /requestId must be/,
  },
  {
    name: 'a requestId with CR LF',
    request: form(questionForm('hello', 'bad\r\nX-Evil: 1')),
    status: 400,
    message: /requestId must be/,
  },
  {
    name: 'a requestId of 129 characters',
    request: form(questionForm('hello', 'a'.repeat(129))),
    status: 400,
    message: /requestId must be/,
  },
  {
    name: 'a requestId starting with "-"',
    request: form(questionForm('hello', '-bad')),
    status: 400,
    message: /requestId must be/,
  },
  {
    name: 'an unknown pipeline',
    request: form(questionForm('hello', 'bad-6', 'no-such-pipeline')),
    status: 400,
    message: /pipeline must be one of: chat, agent/,
  },
  {
    name: 'an empty pipeline',
    request: form(questionForm('hello', 'bad-7', '')),
    status: 400,
    message: /pipeline must be a pipeline name/,
  },
  {
    name: 'an unknown field',
    request: form([...questionForm('hello', 'bad-8'), ['onDisconnect', 'cancel']]),
    status: 400,
    message: /property onDisconnect should not exist/,
  },
  {
    name: 'a repeated query',
    request: form([
      ['query', 'one'],
      ['query', 'two'],
      ['requestId', 'bad-9'],
    ]),
    status: 400,
    message: /query must be a string/,
  },
  {
    name: 'a repeated requestId',
    request: form([
      ['query', 'hello'],
      ['requestId', 'bad-10'],
      ['requestId', 'bad-11'],
    ]),
    status: 400,
    message: /requestId must be a string/,
  },
  {
    name: 'a field named constructor',
    request: form([...questionForm('hello', 'bad-12'), ['constructor', 'x']]),
    status: 400,
    message: /reserved field name/,
  },
  {
    name: 'a field named toString',
    request: form([...questionForm('hello', 'bad-13'), ['toString', 'x']]),
    status: 400,
    message: /reserved field name/,
  },
  {
    name: 'a bracketed __proto__ field',
    request: form([...questionForm('hello', 'bad-14'), ['__proto__[polluted]', 'x']]),
    status: 400,
    message: /should not exist/,
  },
  {
    name: 'JSON instead of a form',
    request: raw('application/json', JSON.stringify({ query: 'hello', requestId: 'bad-15' })),
    status: 415,
    message: /application\/x-www-form-urlencoded/,
  },
  {
    name: 'text/plain',
    request: raw('text/plain', 'query=hello&requestId=bad-16'),
    status: 415,
    message: /application\/x-www-form-urlencoded/,
  },
  {
    name: 'a multipart form',
    request: raw(
      'multipart/form-data; boundary=b',
      '--b\r\nContent-Disposition: form-data; name="query"\r\n\r\nhello\r\n--b\r\nContent-Disposition: form-data; name="requestId"\r\n\r\nbad-17\r\n--b--\r\n',
    ),
    status: 415,
    message: /application\/x-www-form-urlencoded/,
  },
  {
    name: 'a Last-Event-ID that is not an event id',
    request: { ...form(questionForm('hello', 'bad-18')), headers: { 'last-event-id': 'abc' } },
    status: 400,
    message: /Last-Event-ID must be an event id/,
    onlyOn: '/htmx/chat',
  },
];

describe('the htmx routes refuse bad input with a clear 4xx, and never call the model', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start(), { MAX_QUERY_CHARS: '1000' }));
  });

  afterEach(() => {
    expect(upstream.requests).toHaveLength(0);
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  describe.each([['/htmx/chat'], ['/htmx/v2/chat']])('POST %s', (route) => {
    const cases = BAD_CASES.filter((badCase) => (badCase.onlyOn ?? route) === route);
    it.each(cases.map((badCase) => [badCase.name, badCase] as const))(
      '%s',
      async (_name, badCase) => {
        const result = await requestHtmx(`${service.url}${route}`, badCase.request);
        expect(result.status).toBe(badCase.status);
        expect(result.headers.get('content-type')).toMatch(/^application\/json/);
        const body = JSON.parse(result.raw) as { statusCode: number; message: string | string[] };
        expect(body.statusCode).toBe(badCase.status);
        expect([body.message].flat().join(' ')).toMatch(badCase.message);
        // Nothing was started under the id the form named.
        const id = new URLSearchParams(badCase.request.form ?? []).get('requestId');
        if (id && /^bad-\d+$/.test(id)) {
          const attach = await fetch(`${service.url}/api/chat/streams/${id}`);
          expect(attach.status).toBe(404);
        }
      },
    );

    // qs (Express's form parser) drops a plain "__proto__" field without a word, so the raw form
    // is checked too (src/http/form-body.ts): the field is refused like in JSON and query strings.
    it('a field named __proto__', async () => {
      const result = await requestHtmx(`${service.url}${route}`, {
        form: [...questionForm('hello', `proto-${route.length}`), ['__proto__', 'x']],
      });
      expect(result.status).toBe(400);
      expect(result.raw).toMatch(/reserved field name/);
    });
  });

  it.each([['/htmx/chat'], ['/htmx/v2/chat']])(
    'from an htmx page (HX-Request: true), %s refuses with an HTML turn that says why, escaped, and a fresh request id',
    async (route) => {
      const question = '<img src=x onerror="window.__xss=1"> & more';
      const result = await requestHtmx(`${service.url}${route}`, {
        form: questionForm(question, 'refused-1', 'no-such-pipeline'),
        headers: { 'hx-request': 'true' },
      });
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toMatch(/^text\/html/);
      expect(result.raw).toMatch(
        new RegExp(
          '^<article class="turn refused">\\n' +
            '<p class="question">&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt; &amp; more</p>\\n' +
            '<p class="error" role="alert">Not sent: pipeline must be one of: chat, agent.</p>\\n' +
            '</article>\\n' +
            '<input type="hidden" name="requestId" id="request-id" value="[0-9a-f-]{36}" hx-swap-oob="true">$',
        ),
      );
      const blank = await requestHtmx(`${service.url}${route}`, {
        form: questionForm('   ', 'refused-2'),
        headers: { 'hx-request': 'true' },
      });
      expect(blank.status).toBe(400);
      expect(blank.raw).toContain('Not sent: query must not be blank');
      const json = await requestHtmx(`${service.url}${route}`, {
        ...raw('application/json', '{}'),
        headers: { 'content-type': 'application/json', 'hx-request': 'true' },
      });
      expect(json.status).toBe(415);
      expect(json.raw).toContain('Not sent: Send the form as application/x-www-form-urlencoded');
    },
  );

  it('GET /htmx/streams/{id} refuses a Last-Event-ID that is not an event id', async () => {
    const result = await requestHtmx(`${service.url}/htmx/streams/some-id`, {
      method: 'GET',
      headers: { 'last-event-id': '1e3' },
    });
    expect(result.status).toBe(400);
  });

  it('POST /htmx/stop takes a form too: JSON 415, a bad or missing requestId 400', async () => {
    const json = await requestHtmx(
      `${service.url}/htmx/stop`,
      raw('application/json', '{"requestId":"x"}'),
    );
    expect(json.status).toBe(415);
    const badId = await requestHtmx(`${service.url}/htmx/stop`, form([['requestId', 'a b']]));
    expect(badId.status).toBe(400);
    const empty = await requestHtmx(`${service.url}/htmx/stop`, form([]));
    expect(empty.status).toBe(400);
  });

  it('a page form is the only body the routes take: the same fields as a form are accepted', async () => {
    upstream.script('good form', { tokens: ['ok'] });
    const result = await requestHtmx(
      `${service.url}/htmx/chat`,
      form(questionForm('good form', 'good-1')),
    );
    expect(result.status).toBe(200);
    expect(result.events.at(-1)).toMatchObject({ event: 'end', data: 'stop' });
    expect(upstream.requestsFor('good form')).toHaveLength(1);
    upstream.requests.length = 0;
  });
});
