import { FakeOpenAIServer } from './support/fake-openai-server';
import { fragmentAnswerText, questionForm, requestHtmx } from './support/htmx-client';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { waitFor } from './support/wait-for';

const KEY_A = 'htmx-key-a';
const KEY_B = 'htmx-key-b';
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const WORDS = Array.from({ length: 30 }, (_, index) => `secret${index} `);

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('the htmx routes with API_KEYS set, with %s', (logName, withRedis) => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer | undefined;
  let service: RunningApp;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    service = await startApp(
      openAiEnv(await upstream.start(), {
        API_KEYS: `${KEY_A},${KEY_B}`,
        ...(redis ? { REDIS_URL: redis.url } : {}),
      }),
    );
  }, 30_000);

  afterAll(async () => {
    await service?.close();
    await upstream.close();
    await redis?.stop();
  });

  const routes: [string, 'GET' | 'POST', [string, string][] | undefined][] = [
    ['/htmx', 'GET', undefined],
    ['/htmx/v2', 'GET', undefined],
    ['/htmx/chat', 'POST', questionForm('unauthorised question', 'auth-1')],
    ['/htmx/v2/chat', 'POST', questionForm('unauthorised question', 'auth-2')],
    ['/htmx/stop', 'POST', [['requestId', 'auth-3']]],
    ['/htmx/streams/auth-4', 'GET', undefined],
  ];

  it.each(routes)(
    `%s (%s) answers 401 without the bearer key or with a wrong one, and calls no model (${logName})`,
    async (path, method, form) => {
      for (const headers of [{}, bearer('not-a-key'), { authorization: KEY_A }]) {
        const result = await requestHtmx(`${service.url}${path}`, { method, form, headers });
        expect(result.status).toBe(401);
        expect(JSON.parse(result.raw)).toMatchObject({ statusCode: 401 });
      }
      expect(upstream.requestsFor('unauthorised question')).toEqual([]);
    },
  );

  it(`with the key, the pages load and the answer streams (${logName})`, async () => {
    for (const page of ['/htmx', '/htmx/v2']) {
      const response = await fetch(`${service.url}${page}`, { headers: bearer(KEY_A) });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<form hx-post=');
    }
    upstream.script(`authorised ${logName}`, { tokens: ['Yes', '.'] });
    const result = await requestHtmx(`${service.url}/htmx/chat`, {
      form: questionForm(`authorised ${logName}`, `auth-ok-${withRedis}`),
      headers: bearer(KEY_A),
    });
    expect(result.status).toBe(200);
    expect(fragmentAnswerText(result)).toBe('Yes.');
  });

  it(`another key can neither read, resume nor stop a stream: to it the stream does not exist (${logName})`, async () => {
    const question = `owned ${logName}`;
    const requestId = `owned-${withRedis}`;
    upstream.script(question, { tokens: WORDS, delayMs: 40 });
    const owner = requestHtmx(`${service.url}/htmx/chat`, {
      form: questionForm(question, requestId),
      headers: bearer(KEY_A),
    });
    await waitFor('the upstream call', () => upstream.requestsFor(question).length === 1);

    const stolenResume = await requestHtmx(`${service.url}/htmx/chat`, {
      form: questionForm(question, requestId),
      headers: { ...bearer(KEY_B), 'last-event-id': '0' },
    });
    const stolenFollow = await requestHtmx(`${service.url}/htmx/streams/${requestId}`, {
      method: 'GET',
      headers: bearer(KEY_B),
    });
    for (const stolen of [stolenResume, stolenFollow]) {
      expect(stolen.status).toBe(200);
      expect(stolen.events).toEqual([expect.objectContaining({ event: 'end' })]);
      expect(stolen.raw).not.toContain('secret');
    }
    const stolenStop = await requestHtmx(`${service.url}/htmx/stop`, {
      form: [['requestId', requestId]],
      headers: bearer(KEY_B),
    });
    expect(stolenStop.status).toBe(204);

    const result = await owner;
    expect(fragmentAnswerText(result)).toBe(WORDS.join(''));
    expect(result.events.at(-1)).toMatchObject({ event: 'end', data: 'stop' });
    expect(upstream.requestsFor(question)).toHaveLength(1);
    expect(upstream.requestsFor(question)[0].abortedAt).toBeUndefined();
    const record = await readStream(`${service.url}/api/chat/streams/${requestId}`, {
      method: 'GET',
      headers: bearer(KEY_A),
    });
    expect(endReason(record)).toBe('stop');
  });
});
