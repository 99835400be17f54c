import {
  customEventPipeline,
  promptChainPipeline,
  routerPipeline,
  routerPrompt,
} from './support/custom-pipelines';
import { FakeOpenAIServer, messageText } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream, tokenText } from './support/sse-client';
import { contiguousIds, eventNames, firstEvent, transcript } from './support/sse-transcript';
import { startApp, type RunningApp } from './support/start-app';
import { sleep } from './support/wait-for';

const PIRATE_PROMPT = 'You are a pirate. Answer every question in pirate speak.';
const HIDDEN_TAGS = ['nostream', 'langsmith:nostream', 'gateway:internal'];
const RETRIEVAL = { documents: 2, sources: ['harbour.md', 'tides.md'] };

const CUSTOM_PIPELINES = [
  promptChainPipeline('pirate', PIRATE_PROMPT),
  ...HIDDEN_TAGS.map((tag, index) => routerPipeline(`routed-${index}`, tag)),
  customEventPipeline('retrieving', 'retrieval', RETRIEVAL),
];

describe('pipelines', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start()), { pipelines: CUSTOM_PIPELINES });
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('GET /api/pipelines lists chat and agent with their descriptions, then the added ones', async () => {
    const response = await fetch(`${service.url}/api/pipelines`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { pipelines } = (await response.json()) as {
      pipelines: { name: string; description: string }[];
    };
    expect(pipelines.map((pipeline) => pipeline.name)).toEqual([
      'chat',
      'agent',
      ...CUSTOM_PIPELINES.map((pipeline) => pipeline.name),
    ]);
    expect(pipelines.slice(0, 2)).toEqual([
      { name: 'chat', description: expect.stringMatching(/chat model/i) as string },
      { name: 'agent', description: expect.stringMatching(/tool/i) as string },
    ]);
  });

  describe('bad "pipeline" input is a 400 in Nest\'s shape, and nothing starts', () => {
    const cases: [string, unknown][] = [
      ['an unknown name', 'nope'],
      ['a number', 42],
      ['null', null],
      ['an array', ['chat']],
      ['an object', { name: 'chat' }],
      ['an empty string', ''],
      ['a name over 64 characters', `a${'b'.repeat(64)}`],
      ['upper case', 'CHAT'],
      ['surrounding space', ' chat'],
    ];
    let caseNumber = 0;

    const expectRefused = async (response: Response, requestId: string): Promise<void> => {
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.anything() as unknown,
      });
      // No stream was started under the id either.
      const attach = await fetch(`${service.url}/api/chat/streams/${requestId}`);
      expect(attach.status).toBe(404);
    };

    it.each(cases)('POST /api/chat/stream with %s', async (_label, pipeline) => {
      const requestId = `bad-pipeline-${++caseNumber}`;
      const response = await fetch(streamUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ query: `bad pipeline ${requestId}`, pipeline }),
      });
      await expectRefused(response, requestId);
    });

    it.each(cases)('POST /api/chat/streams (detached) with %s', async (_label, pipeline) => {
      const requestId = `bad-pipeline-${++caseNumber}`;
      const response = await fetch(`${service.url}/api/chat/streams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ query: `bad pipeline ${requestId}`, pipeline }),
      });
      await expectRefused(response, requestId);
    });

    it.each<[string, string[]]>([
      ['an unknown name', ['nope']],
      ['an empty value', ['']],
      ['upper case', ['CHAT']],
      ['a name over 64 characters', [`a${'b'.repeat(64)}`]],
      ['the parameter twice', ['chat', 'agent']],
    ])('GET /api/chat/stream with %s', async (_label, values) => {
      const requestId = `bad-pipeline-${++caseNumber}`;
      const params = new URLSearchParams({ query: `bad pipeline ${requestId}` });
      for (const value of values) params.append('pipeline', value);
      const response = await fetch(`${streamUrl}?${params.toString()}`, {
        headers: { 'x-request-id': requestId },
      });
      await expectRefused(response, requestId);
    });

    it('names the pipelines there are when the name is unknown', async () => {
      const response = await fetch(streamUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'bad pipeline named', pipeline: 'nope' }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { message: string };
      expect(body.message).toContain('chat, agent, pirate');
    });

    it('none of them reached the upstream', async () => {
      // Long enough for a late upstream call to show up, had any request slipped through.
      await sleep(500);
      const reached = upstream.requests.filter((record) =>
        messageText(record.body.messages.at(-1)).startsWith('bad pipeline'),
      );
      expect(reached).toHaveLength(0);
    });
  });

  it('an LCEL prompt | model chain streams its tokens as they come, and its system prompt reaches the upstream', async () => {
    const question = 'Why is the sea salty?';
    upstream.script(question, { tokens: ['Arr, ', 'the rivers ', 'bring salt.'], delayMs: 150 });

    const result = await readStream(streamUrl, { body: { query: question, pipeline: 'pirate' } });

    expect(eventNames(result)).toEqual(['start', 'message', 'message', 'message', 'usage', 'end']);
    const entries = transcript(result);
    expect(entries.map((entry) => entry.id)).toEqual(contiguousIds(entries.length));
    expect(tokenText(result)).toBe('Arr, the rivers bring salt.');
    expect(endReason(result)).toBe('stop');
    const tokens = result.events.filter((event) => event.event === undefined);
    expect(tokens[2].at - tokens[0].at).toBeGreaterThan(200);
    const [request] = upstream.requestsFor(question);
    expect(request.body.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(messageText(request.body.messages[0])).toBe(PIRATE_PROMPT);

    // The same pipeline through the EventSource route.
    const viaGet = await readStream(
      `${streamUrl}?${new URLSearchParams({ query: question, pipeline: 'pirate' }).toString()}`,
      { method: 'GET' },
    );
    expect(tokenText(viaGet)).toBe('Arr, the rivers bring salt.');
    expect(messageText(upstream.requestsFor(question)[1].body.messages[0])).toBe(PIRATE_PROMPT);
  });

  it.each(HIDDEN_TAGS.map((tag, index) => [tag, `routed-${index}`]))(
    'a router model call tagged %s does not leak its tokens as answer text, but its usage counts',
    async (tag, pipeline) => {
      const question = `Which way to the harbour? (${tag})`;
      upstream.script(routerPrompt(question), {
        tokens: ['SECRET-', 'ROUTE'],
        usage: { prompt_tokens: 7, completion_tokens: 2 },
      });
      upstream.script(question, {
        tokens: ['Left at ', 'the lighthouse.'],
        usage: { prompt_tokens: 11, completion_tokens: 3 },
      });

      const result = await readStream(streamUrl, { body: { query: question, pipeline } });

      expect(eventNames(result)).toEqual(['start', 'message', 'message', 'usage', 'end']);
      expect(tokenText(result)).toBe('Left at the lighthouse.');
      expect(result.raw).not.toContain('SECRET');
      expect(firstEvent(result, 'usage').data).toEqual({
        inputTokens: 18,
        outputTokens: 5,
        totalTokens: 23,
      });
      // The router really ran, and the answer was given its verdict.
      expect(upstream.requestsFor(routerPrompt(question))).toHaveLength(1);
      const [answer] = upstream.requestsFor(question);
      expect(messageText(answer.body.messages[0])).toBe('Route: SECRET-ROUTE');
    },
  );

  it('dispatchCustomEvent in a pipeline step arrives as event: data {name, data}, before the answer', async () => {
    const question = 'What do the tide tables say?';
    upstream.script(question, { tokens: ['High water ', 'at noon.'], delayMs: 200 });

    const result = await readStream(streamUrl, {
      body: { query: question, pipeline: 'retrieving' },
    });

    expect(eventNames(result)).toEqual(['start', 'data', 'message', 'message', 'usage', 'end']);
    const entries = transcript(result);
    expect(entries.map((entry) => entry.id)).toEqual(contiguousIds(entries.length));
    expect(entries[1]).toEqual({
      id: 1,
      event: 'data',
      data: { name: 'retrieval', data: RETRIEVAL },
    });
    expect(firstEvent(result, 'message').at - firstEvent(result, 'data').at).toBeGreaterThan(120);
    expect(endReason(result)).toBe('stop');
  });
});

describe('GET /api/pipelines with API_KEYS set', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ LLM_PROVIDER: 'demo', API_KEYS: 'key-one,key-two' });
  });

  afterAll(() => service.close());

  const list = (headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${service.url}/api/pipelines`, { headers });

  it.each<[string, Record<string, string>]>([
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer key-three' }],
    ['a key without Bearer', { authorization: 'key-one' }],
  ])("401 in Nest's shape with %s", async (_label, headers) => {
    const response = await list(headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.any(String) as string,
    });
  });

  it('200 with a valid key', async () => {
    const response = await list({ authorization: 'Bearer key-two' });
    expect(response.status).toBe(200);
    const { pipelines } = (await response.json()) as { pipelines: { name: string }[] };
    expect(pipelines.map((pipeline) => pipeline.name)).toEqual(['chat', 'agent']);
  });
});
