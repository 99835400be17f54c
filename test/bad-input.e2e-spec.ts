import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { startApp, type RunningApp } from './support/start-app';

describe('bad input gets a clear 4xx and never reaches the LLM', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp(
      openAiEnv(await upstream.start(), {
        MAX_QUERY_CHARS: '1000',
        MAX_INPUT_CHARS: '2000',
        LLM_MAX_TOKENS: '256',
        LLM_ALLOWED_MODELS: 'gpt-fake,gpt-other',
        BODY_LIMIT: '64kb',
      }),
    );
  });

  afterEach(() => {
    expect(upstream.requests).toHaveLength(0);
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const post = (body: unknown): request.Test =>
    request(service.url)
      .post('/api/chat/stream')
      .set('content-type', 'application/json')
      .send(body as object);

  it.each<[string, unknown, RegExp]>([
    ['neither query nor messages', {}, /exactly one of "query" or "messages"/],
    [
      'both query and messages',
      { query: 'a', messages: [{ role: 'user', content: 'b' }] },
      /exactly one/,
    ],
    ['an empty query', { query: '' }, /query must be longer than or equal to 1/],
    ['a query over MAX_QUERY_CHARS', { query: 'x'.repeat(1001) }, /at most 1000 characters/],
    [
      'input over MAX_INPUT_CHARS',
      {
        messages: [
          { role: 'user', content: 'x'.repeat(900) },
          { role: 'assistant', content: 'y'.repeat(900) },
          { role: 'user', content: 'z'.repeat(900) },
        ],
      },
      /at most 2000 characters in all/,
    ],
    ['an unknown field', { query: 'a', stream: true }, /property stream should not exist/],
    ['a bad role', { messages: [{ role: 'tool', content: 'a' }] }, /role must be one of/],
    ['a message that is not an object', { messages: ['hello'] }, /messages/],
    ['an empty messages list', { messages: [] }, /messages must contain at least 1 elements/],
    [
      '101 messages',
      { messages: Array.from({ length: 101 }, () => ({ role: 'user', content: 'a' })) },
      /messages must contain no more than 100 elements/,
    ],
    ['a query that is a number', { query: 42 }, /query must be a string/],
    ['messages that are a string', { messages: 'hi' }, /messages must be an array/],
    [
      'temperature above 2',
      { query: 'a', temperature: 2.5 },
      /temperature must not be greater than 2/,
    ],
    [
      'temperature below 0',
      { query: 'a', temperature: -0.1 },
      /temperature must not be less than 0/,
    ],
    ['temperature as a string', { query: 'a', temperature: '1' }, /temperature must be a number/],
    ['maxTokens of 0', { query: 'a', maxTokens: 0 }, /maxTokens must not be less than 1/],
    [
      'maxTokens above LLM_MAX_TOKENS',
      { query: 'a', maxTokens: 257 },
      /maxTokens must not be greater than 256/,
    ],
    ['a fractional maxTokens', { query: 'a', maxTokens: 1.5 }, /maxTokens must be an integer/],
    [
      'a model not allowed',
      { query: 'a', model: 'gpt-expensive' },
      /model must be one of: gpt-fake, gpt-other/,
    ],
    [
      'a system prompt over 8000 chars',
      { query: 'a', system: 'x'.repeat(8001) },
      /system must be shorter than or equal to 8000/,
    ],
    ['a bad onDisconnect', { query: 'a', onDisconnect: 'later' }, /onDisconnect must be one of/],
    ['a JSON array body', [1, 2], /./],
    ['a JSON string body', 'just text', /./],
  ])('400 for %s', async (_name, body, message) => {
    const response = await post(body === 'just text' ? JSON.stringify(body) : body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const answer = response.body as { message: string | string[] };
    expect([answer.message].flat().join('; ')).toMatch(message);
  });

  it('400 for malformed JSON', async () => {
    const response = await request(service.url)
      .post('/api/chat/stream')
      .set('content-type', 'application/json')
      .send('{"query": "unterminated');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('400 for no body at all', async () => {
    const response = await request(service.url)
      .post('/api/chat/stream')
      .set('content-type', 'application/json');
    expect(response.status).toBe(400);
  });

  it('413 for a body over BODY_LIMIT', async () => {
    const response = await post({ query: 'x'.repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      statusCode: 413,
      message: 'The request body is larger than 65536 bytes.',
      error: 'Payload Too Large',
    });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    '415 for Content-Type %s',
    async (type) => {
      const response = await request(service.url)
        .post('/api/chat/stream')
        .set('content-type', type)
        .send('query=hello');
      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    },
  );

  it.each([
    ['spaces', 'has spaces'],
    ['200 characters', 'a'.repeat(200)],
    ['a leading dot', '.hidden'],
    ['a slash', 'a/b'],
    ['a control character', 'abc\u0001def'],
    ['an empty value', ''],
  ])('400 for an X-Request-Id with %s', async (_name, id) => {
    const response = await fetchWithRawHeader(service.port, `X-Request-Id: ${id}`);
    expect(response.status).toBe(400);
  });

  it.each([
    ['a bare CR', 'X-Request-Id: abc\rdef'],
    ['a bare LF', 'X-Request-Id: abc\ndef'],
    ['CR LF and a folded line', 'X-Request-Id: abc\r\n def'],
  ])('400 for %s inside X-Request-Id, sent over a raw socket', async (_name, headerLine) => {
    const response = await fetchWithRawHeader(service.port, headerLine);
    expect(response.status).toBe(400);
  });

  it('400 for a bad GET query string', async () => {
    const cases = [
      '',
      '?query=',
      '?query=a&temperature=hot',
      '?query=a&maxTokens=0',
      '?query=a&x=1',
    ];
    for (const query of cases) {
      const response = await request(service.url).get(`/api/chat/stream${query}`);
      expect(response.status).toBe(400);
    }
  });

  const postText = (text: string | Buffer, type = 'application/json'): request.Test =>
    request(service.url).post('/api/chat/stream').set('content-type', type).send(text);

  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  it.each<[string, string, RegExp]>([
    ['a nested "constructor" key', '{"query":"a","x":{"constructor":1}}', /"constructor"/],
    [
      'a message with "constructor.prototype"',
      '{"messages":[{"role":"user","content":"a","constructor":{"prototype":{}}}]}',
      /prototype keys/,
    ],
    [
      'a message with a "constructor" key',
      '{"messages":[{"role":"user","content":"a","constructor":1}]}',
      /"constructor"/,
    ],
    ['a "__proto__" key', '{"query":"a","__proto__":{"x":1}}', /prototype keys/],
    ['an escaped "__proto__" key', '{"query":"a","\\u005f_proto__":{}}', /prototype keys/],
    ['a "constructor" key', '{"query":"a","constructor":1}', /"constructor"/],
    ['a "toString" key', '{"query":"a","toString":"x"}', /"toString"/],
    ['a "valueOf" key', '{"query":"a","valueOf":1}', /"valueOf"/],
    ['a "hasOwnProperty" key', '{"query":"a","hasOwnProperty":1}', /"hasOwnProperty"/],
    ['a "prototype" key', '{"query":"a","prototype":1}', /"prototype"/],
    ['a message that is an array', '{"messages":[[]]}', /each message must be an object/],
    ['a message that is null', '{"messages":[null]}', /messages must be either object/],
    ['nesting 5,000 deep', `{"query":"a","x":${nested(5000)}}`, /deeper than 32 levels/],
    ['messages nested 5,000 deep', `{"messages":${nested(5000)}}`, /deeper than 32 levels/],
    ['nesting 33 deep', `{"query":"a","x":${nested(32)}}`, /deeper than 32 levels/],
    ['a JSON number body', '42', /must be a JSON object/],
    ['a JSON null body', 'null', /must be a JSON object/],
    ['a JSON string body', '"hello"', /must be a JSON object/],
    ['only whitespace', '  \n ', /not valid JSON/],
    ['a null model', '{"query":"a","model":null}', /model must be a string/],
    ['a null system', '{"query":"a","system":null}', /system must be a string/],
    ['a null temperature', '{"query":"a","temperature":null}', /temperature must be a number/],
    ['a null maxTokens', '{"query":"a","maxTokens":null}', /maxTokens must be an integer/],
    ['a null onDisconnect', '{"query":"a","onDisconnect":null}', /onDisconnect must be one of/],
    ['a null query', '{"query":null}', /query must be a string/],
    ['a whitespace-only query', '{"query":" \\t\\n\\u00a0"}', /query must not be blank/],
    ['a NUL in the query', '{"query":"a\\u0000b"}', /query must not contain NUL/],
    [
      'a blank message',
      '{"messages":[{"role":"user","content":"   "}]}',
      /content must not be blank/,
    ],
    [
      'a NUL in a message',
      '{"messages":[{"role":"user","content":"\\u0000"}]}',
      /content must not contain NUL/,
    ],
    [
      'a NUL in the system prompt',
      '{"query":"a","system":"x\\u0000"}',
      /system must not contain NUL/,
    ],
  ])('400 for %s, before validation can trip', async (_name, text, message) => {
    const response = await postText(text);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const answer = response.body as { message: string | string[] };
    expect([answer.message].flat().join('; ')).toMatch(message);
  });

  it('400 for a body that is not UTF-8', async () => {
    // Raw bytes: supertest would serialise a Buffer as JSON.
    const bytes = Buffer.concat([
      Buffer.from('{"query":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const response = await postBytes(service.port, bytes);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 400,
      message: 'The request body is not valid UTF-8.',
      error: 'Bad Request',
    });
  });

  it('415 for a JSON body in a charset other than UTF-8', async () => {
    const response = await postText('{"query":"a"}', 'application/json; charset=latin1');
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
  });

  it.each([
    ['maxTokens in hex', '?query=a&maxTokens=0x10', /maxTokens must be a whole number/],
    ['maxTokens in exponent form', '?query=a&maxTokens=1e3', /maxTokens must be a whole number/],
    ['an empty maxTokens', '?query=a&maxTokens=', /maxTokens must be a whole number/],
    ['maxTokens with a space', '?query=a&maxTokens=%205', /maxTokens must be a whole number/],
    ['maxTokens with a leading zero', '?query=a&maxTokens=016', /maxTokens must be a whole number/],
    ['an empty temperature', '?query=a&temperature=', /temperature must be a decimal number/],
    ['temperature in hex', '?query=a&temperature=0x1', /temperature must be a decimal number/],
    ['temperature in exponent form', '?query=a&temperature=1e0', /temperature must be a decimal/],
    ['temperature as .5', '?query=a&temperature=.5', /temperature must be a decimal number/],
    ['temperature Infinity', '?query=a&temperature=Infinity', /temperature must be a decimal/],
    ['a blank query', '?query=%20%20%09', /query must not be blank/],
    ['a NUL in the query', '?query=a%00b', /query must not contain NUL/],
    ['a bad requestId', '?query=a&requestId=has%20space', /requestId must be/],
    ['an empty requestId', '?query=a&requestId=', /requestId must be/],
    ['a bad lastEventId', '?query=a&lastEventId=-1', /lastEventId must be/],
    ['a "__proto__" parameter', '?query=a&__proto__=x', /__proto__/],
    ['a "constructor" parameter', '?query=a&constructor=x', /constructor/],
    ['a "toString" parameter', '?query=a&toString=x', /toString/],
  ])('400 for a GET with %s', async (_name, query, message) => {
    const response = await request(service.url).get(`/api/chat/stream${query}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const answer = response.body as { message: string | string[] };
    expect([answer.message].flat().join('; ')).toMatch(message);
  });

  it.each([
    ['/api/chat/stream?query=hello', 'GET, POST'],
    ['/api/chat/stream?query=', 'GET, POST'],
    ['/API/Chat/Stream/?query=hello', 'GET, POST'],
    ['/api/chat/streams/some-id', 'GET, DELETE'],
  ])('405 for HEAD %s, which never starts or follows a stream', async (path, allow) => {
    const response = await headRequest(service.port, path);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    // A generation would reach the fake within milliseconds; give it the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.requests).toHaveLength(0);
  });
});

/** POSTs `bytes` as they are, labelled JSON, to `/api/chat/stream`. */
function postBytes(port: number, bytes: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': bytes.length };
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/api/chat/stream', method: 'POST', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(2_000, () => req.destroy(new Error('POST: no complete answer in 2 s')));
    req.on('error', reject);
    req.end(bytes);
  });
}

/** A raw HEAD request; gives up after 2 s so a response left open fails instead of hanging. */
function headRequest(
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'HEAD' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.setTimeout(2_000, () => req.destroy(new Error(`HEAD ${path}: no complete answer in 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sends a request whose header block we write by hand, so the client library cannot clean it. */
function fetchWithRawHeader(port: number, headerLine: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: 'raw' });
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /api/chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n${headerLine}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) {
        resolve({ status: Number(match[1]) });
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error(`no status line in ${JSON.stringify(head)}`)));
  });
}
