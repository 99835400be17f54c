import { PIPELINES } from '../../src/pipelines/pipelines.js';
import { RedisServer } from '../../test/support/redis-server.js';
import { startApp, type RunningApp } from '../../test/support/start-app.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';
import { waitFor, within } from '../../test/support/wait-for.js';
import {
  failingToolPipeline,
  progressPipeline,
  PROGRESS_EVENTS,
  SlowToolProbe,
  slowToolPipeline,
} from '../test/test-pipelines.js';
import {
  ChatHttpError,
  ChatProtocolError,
  listPipelines,
  streamChat,
  type ChatStream,
  type ChatStreamEvent,
  type ConnectionState,
  type StreamChatOptions,
} from './index.js';

/** The demo model's pause between chunks; timing bounds below are fractions of it. */
const DELAY_MS = 30;
const REASONING =
  'The question contains arithmetic (12 * 7); the calculator will get it exactly right.';
const ANSWER = 'The calculator tool says **84**.';

interface Arrival {
  event: ChatStreamEvent;
  /** ms since the stream was started */
  at: number;
}

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<Arrival[]> {
  const started = performance.now();
  const arrivals: Arrival[] = [];
  for await (const event of stream) arrivals.push({ event, at: performance.now() - started });
  return arrivals;
}

const contentOf = (events: ChatStreamEvent[], type: 'token' | 'reasoning'): string =>
  events.map((event) => (event.type === type ? event.content : '')).join('');

const typesOf = (events: ChatStreamEvent[]): string[] => [
  ...new Set(events.map((event) => event.type)),
];

const TEST_PIPELINES = (probe: SlowToolProbe) => [
  progressPipeline,
  failingToolPipeline,
  slowToolPipeline(20_000, probe),
];

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('client library: pipelines and their events, with %s', (_, withRedis) => {
  const slowTool = new SlowToolProbe();
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let proxy: TcpProxy;
  let viaProxy: string;
  /** Ids of the streams the service started, to see each one's end stored before closing. */
  const started = new Set<string>();

  /** streamChat on this service, noting each started stream's id. */
  function chat(options: Partial<StreamChatOptions> & Pick<StreamChatOptions, 'body'>): ChatStream {
    const doFetch = options.fetch ?? fetch;
    return streamChat({
      baseUrl: service.url,
      ...options,
      fetch: async (input, init) => {
        const response = await doFetch(input, init);
        const id = response.ok ? response.headers.get('X-Request-Id') : null;
        if (init?.method === 'POST' && id) started.add(id);
        return response;
      },
    });
  }

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    service = await startApp(
      {
        LLM_PROVIDER: 'demo',
        DEMO_TOKEN_DELAY_MS: String(DELAY_MS),
        ...(redis ? { REDIS_URL: redis.url } : {}),
      },
      { pipelines: TEST_PIPELINES(slowTool) },
    );
    proxy = new TcpProxy(service.port);
    viaProxy = await proxy.start();
  }, 30_000);

  afterAll(async () => {
    // The Redis log stores a stream's last events a moment after its client read them; an app
    // closed within that moment never stores them (see the report), so wait for every end.
    for (const id of started) await endReasonOf(id);
    await proxy?.close();
    await service?.close();
    await redis?.stop();
  });

  /** The `reason` of the stream's `end` event, read back from the service's stream log. */
  async function endReasonOf(requestId: string): Promise<string | undefined> {
    const response = await fetch(`${service.url}/api/chat/streams/${requestId}`);
    const text = await within(`the end of stream ${requestId}`, response.text(), 10_000);
    const data = /^event: end\ndata: (.*)$/m.exec(text)?.[1];
    return data === undefined ? undefined : (JSON.parse(data) as { reason: string }).reason;
  }

  it('agent: reasoning streams in, then the tool call and its result, then the answer', async () => {
    const tokens: string[] = [];
    const stream = chat({
      body: { query: 'What is 12 * 7?', pipeline: 'agent' },
    }).onToken((content) => tokens.push(content));
    const arrivals = await collect(stream);
    const events = arrivals.map((arrival) => arrival.event);
    expect(typesOf(events)).toEqual([
      'start',
      'reasoning',
      'tool_call',
      'tool_result',
      'token',
      'usage',
      'end',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((__, index) => index));
    const call = events.filter((event) => event.type === 'tool_call');
    const result = events.filter((event) => event.type === 'tool_result');
    expect(call).toEqual([
      {
        type: 'tool_call',
        id: expect.any(Number) as number,
        toolCallId: expect.stringMatching(/.+/) as string,
        name: 'calculator',
        args: { expression: '12 * 7' },
      },
    ]);
    expect(result).toEqual([
      {
        type: 'tool_result',
        id: expect.any(Number) as number,
        toolCallId: call[0].type === 'tool_call' ? call[0].toolCallId : '',
        name: 'calculator',
        content: '84',
        isError: false,
      },
    ]);
    expect(contentOf(events, 'reasoning')).toBe(REASONING);
    expect(contentOf(events, 'token')).toBe(ANSWER);
    expect(tokens.join('')).toBe(ANSWER); // onToken: answer text only
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'stop' });

    // Reasoning is shown as it is thought, not in one lump when the tool is called.
    const reasoning = arrivals.filter((arrival) => arrival.event.type === 'reasoning');
    const callAt = arrivals.find((arrival) => arrival.event.type === 'tool_call')?.at ?? 0;
    const firstTokenAt = arrivals.find((arrival) => arrival.event.type === 'token')?.at ?? 0;
    expect(reasoning.length).toBeGreaterThan(5);
    expect(callAt - reasoning[0].at).toBeGreaterThanOrEqual(
      (reasoning.length - 1) * DELAY_MS * 0.5,
    );
    expect(firstTokenAt).toBeGreaterThan(callAt);
  });

  it('text() is the answer only: no reasoning, no tool output', async () => {
    const text = await chat({
      body: { query: 'What is 12 * 7?', pipeline: 'agent' },
    }).text();
    expect(text).toBe(ANSWER);
  });

  it('without "pipeline" the chat pipeline answers: no reasoning, no tools', async () => {
    const events = (await collect(chat({ body: { query: 'What is 12 * 7?' } }))).map(
      (arrival) => arrival.event,
    );
    expect(typesOf(events)).toEqual(['start', 'token', 'usage', 'end']);
    expect(contentOf(events, 'token')).not.toContain('calculator');
  });

  it('an unknown pipeline is a ChatHttpError 400 naming the ones there are', async () => {
    const failure = chat({
      body: { query: 'What is 12 * 7?', pipeline: 'nope' },
    }).text();
    await expect(failure).rejects.toBeInstanceOf(ChatHttpError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('pipeline must be one of: chat, agent') as string,
    });
  });

  it('a tool that throws: a tool_result with isError, and the stream still ends with stop', async () => {
    const events = (
      await collect(chat({ body: { query: 'What is 12 * 7?', pipeline: 'failing-tool' } }))
    ).map((arrival) => arrival.event);
    const result = events.find((event) => event.type === 'tool_result');
    expect(result).toMatchObject({ name: 'calculator', isError: true });
    expect(result?.type === 'tool_result' && result.content).toContain('the abacus is broken');
    expect(contentOf(events, 'token')).toContain('could not do that');
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'stop' });
  });

  it('custom events dispatched by a pipeline arrive as data events, before the answer', async () => {
    const events = (await collect(chat({ body: { query: 'Hello', pipeline: 'progress' } }))).map(
      (arrival) => arrival.event,
    );
    const data = events.filter((event) => event.type === 'data');
    expect(data.map(({ name, data: payload }) => ({ name, data: payload }))).toEqual(
      PROGRESS_EVENTS,
    );
    const firstToken = events.findIndex((event) => event.type === 'token');
    expect(firstToken).toBeGreaterThan(events.indexOf(data[1]));
    expect(contentOf(events, 'token').length).toBeGreaterThan(0);
  });

  it('listPipelines returns every pipeline the service has, with its description', async () => {
    const expected = [...PIPELINES, ...TEST_PIPELINES(new SlowToolProbe())].map(
      ({ name, description }) => ({ name, description }),
    );
    await expect(listPipelines(service.url)).resolves.toEqual(expected);
  });

  it('a drop mid-reasoning resumes without re-POSTing: every event once, in order', async () => {
    const states: ConnectionState[] = [];
    const posts: string[] = [];
    const stream = chat({
      baseUrl: viaProxy,
      body: { query: 'What is 12 * 7?', pipeline: 'agent' },
      resume: true,
      retry: { initialDelayMs: 50 },
      onConnectionChange: (state) => states.push(state),
      fetch: (input, init) => {
        if (init?.method === 'POST') posts.push(init.method);
        return fetch(input, init);
      },
    });
    const events: ChatStreamEvent[] = [];
    let cut = false;
    for await (const event of stream) {
      events.push(event);
      if (event.type === 'reasoning' && event.id === 3 && !cut) {
        cut = true;
        proxy.cutAll();
      }
    }
    expect(cut).toBe(true);
    expect(states).toContain('reconnecting');
    expect(posts).toHaveLength(1);
    expect(events.map((event) => event.id)).toEqual(events.map((__, index) => index));
    expect(events.filter((event) => event.type === 'tool_call')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'tool_result')).toHaveLength(1);
    expect(contentOf(events, 'reasoning')).toBe(REASONING);
    expect(contentOf(events, 'token')).toBe(ANSWER);
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'stop' });
  });

  it('break while a tool runs closes the connection: the tool is aborted, the stream cancelled', async () => {
    const startedBefore = slowTool.started;
    const abortedBefore = slowTool.aborted;
    const requestId = `client-tool-break-${withRedis ? 'redis' : 'memory'}`;
    const stream = chat({
      body: { query: 'What is 12 * 7?', pipeline: 'slow-tool' },
      requestId,
    });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type !== 'tool_call') continue;
      await waitFor('the slow tool to start', () => slowTool.started > startedBefore);
      break;
    }
    await waitFor('the slow tool to be aborted', () => slowTool.aborted > abortedBefore, 5000);
    await expect(endReasonOf(requestId)).resolves.toBe('cancelled');
    expect(seen).not.toContain('tool_result');
  });

  it('cancel() while a tool runs: the caller sees the call, no result, then end: cancelled', async () => {
    const startedBefore = slowTool.started;
    const abortedBefore = slowTool.aborted;
    const stream = chat({
      body: { query: 'What is 12 * 7?', pipeline: 'slow-tool' },
    });
    const events: ChatStreamEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (event.type !== 'tool_call') continue;
      await waitFor('the slow tool to start', () => slowTool.started > startedBefore);
      await expect(stream.cancel()).resolves.toBe(true);
    }
    expect(events.slice(-2).map((event) => event.type)).toEqual(['tool_call', 'end']);
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'cancelled' });
    await waitFor('the slow tool to be aborted', () => slowTool.aborted > abortedBefore, 5000);
  });
});

describe('listPipelines', () => {
  it('with API_KEYS: a ChatHttpError 401 without a key, the list with one', async () => {
    const service = await startApp({ LLM_PROVIDER: 'demo', API_KEYS: 'key-a' });
    try {
      const failure = listPipelines(service.url);
      await expect(failure).rejects.toBeInstanceOf(ChatHttpError);
      await expect(failure).rejects.toMatchObject({ status: 401 });
      const pipelines = await listPipelines(service.url, {
        headers: { Authorization: 'Bearer key-a' },
      });
      expect(pipelines.map((pipeline) => pipeline.name)).toEqual(['chat', 'agent']);
    } finally {
      await service.close();
    }
  });

  it.each([
    ['a body that is not JSON', 'pipelines: chat'],
    ['no list', '{"pipelines":{"chat":"The chat model"}}'],
    ['an entry without a description', '{"pipelines":[{"name":"chat"}]}'],
    ['an entry whose name is a number', '{"pipelines":[{"name":1,"description":"d"}]}'],
  ])('%s is a ChatProtocolError', async (__, body) => {
    const answer = listPipelines('http://service.invalid', {
      fetch: () => Promise.resolve(new Response(body, { status: 200 })),
    });
    await expect(answer).rejects.toBeInstanceOf(ChatProtocolError);
    await expect(answer).rejects.toThrow(/^Malformed GET \/api\/pipelines answer/);
  });
});
