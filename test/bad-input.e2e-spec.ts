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
});

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
