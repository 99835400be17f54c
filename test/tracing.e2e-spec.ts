import { RunTree } from 'langsmith/run_trees';
import { Client } from 'langsmith';
import { FakeLangSmithServer, flushTraces, type TracedRun } from './support/fake-langsmith-server';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { jsonToolCall } from './support/fake-tool-calls';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { transcript } from './support/sse-transcript';
import { startApp, type RunningApp } from './support/start-app';
import { ancestorsOf, rootRun, runsOfType, treeProblems } from './support/trace-tree';
import { within } from './support/wait-for';

/**
 * LangSmith tracing of streamed requests, against a fake LangSmith that records what the real
 * `langsmith` client (the one LangChain's tracer uses) sends. LangChain reads the tracing
 * switches from `process.env`; jest gives each test file its own copy of it, so setting them
 * here traces this file's in-process app and nothing else.
 */
const langsmith = new FakeLangSmithServer();

beforeAll(async () => {
  // LangChain's LangSmith client reads the endpoint once, when the first tracer makes it.
  process.env.LANGSMITH_ENDPOINT = await langsmith.start();
  process.env.LANGSMITH_TRACING = 'true';
  delete process.env.LANGCHAIN_TRACING_V2;
});

afterAll(async () => {
  await flushTraces();
  await langsmith.close();
});

/** Runs `action` with LangSmith tracing off (read when each run starts, so per request). */
async function untraced<T>(action: () => Promise<T>): Promise<T> {
  process.env.LANGSMITH_TRACING = 'false';
  try {
    return await action();
  } finally {
    process.env.LANGSMITH_TRACING = 'true';
  }
}

/**
 * Every run of the trace of request `id`, once its root and at least `expectedRuns` runs have
 * arrived and all of them have ended (the root ends last, so nothing of it is still on its way).
 */
async function endedTraceOf(requestId: string, expectedRuns = 1): Promise<TracedRun[]> {
  const tag = `request:${requestId}`;
  await langsmith.waitForRuns(`the trace of ${requestId}, ended`, () => {
    const runs = langsmith.traceTagged(tag);
    return (
      runs.length >= expectedRuns &&
      runs.some((run) => !run.parent_run_id) &&
      runs.every((run) => run.end_time !== undefined)
    );
  });
  return langsmith.traceTagged(tag);
}

/** The raw stream with what differs between two requests of the same script made uniform. */
const comparable = (result: StreamResult, requestId: string): string =>
  result.raw
    .replaceAll(requestId, '<requestId>')
    .replace(/"createdAt":"[^"]*"/g, '"createdAt":"<createdAt>"');

describe('the fake LangSmith understands every way the langsmith client sends runs', () => {
  it.each([
    ['POST /runs/multipart', { multipart: true }, { autoBatchTracing: true }],
    ['POST /runs/batch', { multipart: false }, { autoBatchTracing: true }],
    ['POST /runs + PATCH /runs/:id', { multipart: true }, { autoBatchTracing: false }],
  ])('%s', async (route, serverOptions, clientOptions) => {
    const fake = new FakeLangSmithServer(serverOptions);
    const client = new Client({ apiUrl: await fake.start(), apiKey: 'test-key', ...clientOptions });
    try {
      const parent = new RunTree({ name: 'parent', run_type: 'chain', inputs: { q: 1 }, client });
      await parent.postRun();
      const child = parent.createChild({ name: 'child', run_type: 'tool', inputs: { x: 'é' } });
      await child.postRun();
      await child.end({ output: 'ü' });
      await child.patchRun();
      await parent.end({ answer: 2 });
      await parent.patchRun();
      await client.awaitPendingTraceBatches();

      const runs = fake.runs();
      expect(treeProblems(runs)).toEqual([]);
      expect(rootRun(runs)).toMatchObject({ name: 'parent', outputs: { answer: 2 } });
      expect(runs.find((run) => run.name === 'child')).toMatchObject({
        run_type: 'tool',
        inputs: { x: 'é' },
        outputs: { output: 'ü' },
        parent_run_id: parent.id,
      });
      const [method, path] = route.split(' ');
      expect(fake.requests.some((r) => r.method === method && r.path === path)).toBe(true);
      expect(fake.requests.filter((request) => !request.understood)).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe.each(['memory', 'redis'] as const)('LangSmith tracing (%s log)', (logMode) => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    if (logMode === 'redis') redis = await RedisServer.start();
    const env = openAiEnv(await upstream.start(), redis ? { REDIS_URL: redis.url } : {});
    service = await startApp(env);
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await flushTraces();
    await service.close();
    await redis?.stop();
    await upstream.close();
  });

  const ask = (requestId: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    readStream(streamUrl, { body, headers: { 'x-request-id': requestId }, signal });

  it('chat: one model run, the root of its trace, named for the pipeline and tagged with the request id', async () => {
    const prompt = `${logMode}: traced chat`;
    upstream.script(prompt, {
      tokens: ['Traced ', 'answer ', 'héllo'],
      delayMs: 5,
      usage: { prompt_tokens: 11, completion_tokens: 3 },
    });
    const requestId = `trace-chat-${logMode}`;
    const traced = await ask(requestId, { query: prompt });
    const plain = await untraced(() => ask(`${requestId}-untraced`, { query: prompt }));

    // Tracing changes nothing a client sees.
    expect(tokenText(traced)).toBe('Traced answer héllo');
    expect(comparable(traced, requestId)).toBe(comparable(plain, `${requestId}-untraced`));

    const runs = await endedTraceOf(requestId);
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(treeProblems(runs)).toEqual([]);
    expect(run).toMatchObject({
      name: 'llm-stream-gateway:chat',
      run_type: 'llm',
      extra: { metadata: { requestId, pipeline: 'chat', ls_provider: 'openai' } },
    });
    expect(run.tags).toEqual(
      expect.arrayContaining(['llm-stream-gateway', 'pipeline:chat', `request:${requestId}`]),
    );
    expect(run.error ?? undefined).toBeUndefined();
    expect(JSON.stringify(run.inputs)).toContain(prompt);
    expect(run.outputs).toMatchObject({ generations: [[{ text: 'Traced answer héllo' }]] });
    expect(run.extra?.metadata?.usage_metadata).toMatchObject({
      input_tokens: 11,
      output_tokens: 3,
    });
    // The untraced request left no trace at all.
    expect(langsmith.traceTagged(`request:${requestId}-untraced`)).toEqual([]);
  });

  it('agent: the chain root, both model runs and the calculator run form one trace', async () => {
    const question = `${logMode}: what is 6 * 7?`;
    const turns = () => [
      {
        tokens: [],
        toolCalls: [jsonToolCall('call_trace_6x7', 'calculator', { expression: '6 * 7' })],
      },
      { tokens: ['6 * 7 ', 'is 42.'], usage: { prompt_tokens: 40, completion_tokens: 4 } },
    ];
    const requestId = `trace-agent-${logMode}`;
    upstream.scriptTurns(question, turns());
    const traced = await ask(requestId, { query: question, pipeline: 'agent' });
    upstream.scriptTurns(question, turns());
    const plain = await untraced(() =>
      ask(`${requestId}-untraced`, { query: question, pipeline: 'agent' }),
    );

    expect(tokenText(traced)).toBe('6 * 7 is 42.');
    expect(endReason(traced)).toBe('stop');
    expect(comparable(traced, requestId)).toBe(comparable(plain, `${requestId}-untraced`));

    const runs = await endedTraceOf(requestId, 4);
    expect(treeProblems(runs)).toEqual([]);
    const root = rootRun(runs);
    expect(root).toMatchObject({
      name: 'llm-stream-gateway:agent',
      run_type: 'chain',
      extra: { metadata: { requestId, pipeline: 'agent' } },
    });
    expect(JSON.stringify(root.inputs)).toContain(question);
    for (const run of runs) {
      expect({ run: run.name, tagged: run.tags?.includes(`request:${requestId}`) }).toEqual({
        run: run.name,
        tagged: true,
      });
      expect(run.extra?.metadata?.requestId).toBe(requestId);
      expect(run.error ?? undefined).toBeUndefined();
    }

    const models = runsOfType(runs, 'llm');
    expect(models).toHaveLength(2);
    const tools = runsOfType(runs, 'tool');
    expect(tools).toHaveLength(1);
    const [tool] = tools;
    expect(tool.name).toBe('calculator');
    expect(tool.inputs).toEqual({ expression: '6 * 7' });
    expect(JSON.stringify(tool.outputs)).toContain('"content":"42"');
    expect(ancestorsOf(tool, runs).at(-1)).toBe(root);
    // In the order they ran: the model asks, the tool answers, the model answers from it.
    expect([models[0], tool, models[1]].map((run) => run.dotted_order)).toEqual(
      [models[0], tool, models[1]].map((run) => run.dotted_order).sort(),
    );
    expect(JSON.stringify(models[1].outputs)).toContain('6 * 7 is 42.');

    // The trace and the stream name the same tool call, so they can be lined up.
    const call = transcript(traced).find((entry) => entry.event === 'tool_call');
    expect(call?.data).toMatchObject({ toolCallId: 'call_trace_6x7', name: 'calculator' });
    expect(JSON.stringify(tool.outputs)).toContain('"tool_call_id":"call_trace_6x7"');
  });

  it('chat, a client that hangs up mid-answer: the upstream call is closed and the model run ends with the abort', async () => {
    const prompt = `${logMode}: traced hang-up`;
    upstream.script(prompt, {
      tokens: Array.from({ length: 40 }, (_, index) => `t${index} `),
      delayMs: 50,
    });
    const requestId = `trace-hangup-${logMode}`;
    const hangUp = new AbortController();
    const partial = await readStream(streamUrl, {
      body: { query: prompt },
      headers: { 'x-request-id': requestId },
      signal: hangUp.signal,
      onEvent: (event) => event.id === '2',
    });
    hangUp.abort();
    expect(tokenText(partial)).toBe('t0 t1 ');
    const [request] = upstream.requestsFor(prompt);
    await request.aborted;

    const [run] = await endedTraceOf(requestId);
    expect(run).toMatchObject({ name: 'llm-stream-gateway:chat', run_type: 'llm' });
    expect(run.error).toMatch(/abort/i);
  });

  it('agent, a client that hangs up mid-answer: every run of the trace ends, none is left open', async () => {
    const question = `${logMode}: agent hang-up`;
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [jsonToolCall('call_hangup', 'calculator', { expression: '1 + 1' })],
      },
      { tokens: Array.from({ length: 40 }, (_, index) => `a${index} `), delayMs: 50 },
    ]);
    const requestId = `trace-agent-hangup-${logMode}`;
    const hangUp = new AbortController();
    const partial = await readStream(streamUrl, {
      body: { query: question, pipeline: 'agent' },
      headers: { 'x-request-id': requestId },
      signal: hangUp.signal,
      onEvent: (event) => event.event === undefined && event.data.includes('a1 '),
    });
    hangUp.abort();
    expect(tokenText(partial)).toBe('a0 a1 ');
    const answering = upstream.conversationFor(question)[1];
    await answering.aborted;

    const runs = await endedTraceOf(requestId, 4);
    expect(treeProblems(runs)).toEqual([]);
    expect(rootRun(runs)).toMatchObject({ name: 'llm-stream-gateway:agent' });
    expect(rootRun(runs).error).toMatch(/abort/i);
    const models = runsOfType(runs, 'llm');
    expect(models).toHaveLength(2);
    expect(models[0].error ?? undefined).toBeUndefined();
    expect(models[1].error).toMatch(/abort/i);
    const [tool] = runsOfType(runs, 'tool');
    expect(tool).toMatchObject({ name: 'calculator', inputs: { expression: '1 + 1' } });
    expect(tool.error ?? undefined).toBeUndefined();
  });

  it('agent, a tool call with arguments that are not JSON: the gateway stops early, and the trace still ends', async () => {
    const question = `${logMode}: garbled arguments`;
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [{ id: 'call_garbled', name: 'calculator', argumentFragments: ['1 +', ' 1'] }],
      },
      { tokens: ['never requested'] },
    ]);
    const requestId = `trace-garbled-${logMode}`;
    const result = await ask(requestId, { query: question, pipeline: 'agent' });
    expect(transcript(result).slice(1)).toMatchObject([
      { event: 'error', data: { code: 'upstream_bad_response' } },
      { event: 'end', data: { reason: 'error' } },
    ]);

    const runs = await endedTraceOf(requestId, 3);
    expect(treeProblems(runs)).toEqual([]);
    expect(rootRun(runs)).toMatchObject({ name: 'llm-stream-gateway:agent' });
    expect(runsOfType(runs, 'llm')).toHaveLength(1);
    expect(runsOfType(runs, 'tool')).toEqual([]);
  });

  it('a LangSmith that hangs holds up nothing: tokens come on time while the traces wait', async () => {
    const prompt = `${logMode}: LangSmith hangs`;
    upstream.script(prompt, {
      tokens: Array.from({ length: 12 }, (_, index) => `w${index} `),
      delayMs: 80,
    });
    const requestId = `trace-stalled-${logMode}`;
    const sentBefore = langsmith.ingestRequests().length;
    langsmith.hold();
    try {
      const started = performance.now();
      const result = await within(
        'the stream, while LangSmith hangs',
        ask(requestId, { query: prompt }),
        10_000,
      );
      const tokens = result.events.filter((event) => event.event === undefined && event.id);
      expect(tokens).toHaveLength(12);
      // Eleven gaps of 80 ms upstream: the answer takes under a second, plus a margin for load.
      expect(result.endedAt).toBeLessThan(11 * 80 + 1500);
      expect(tokens.at(-1)!.at - tokens[0].at).toBeGreaterThan(400);
      // The client had sent runs, unanswered, before the stream ended: it did not wait for them.
      const held = langsmith.ingestRequests().slice(sentBefore);
      expect(held.length).toBeGreaterThan(0);
      expect(held[0].at).toBeLessThan(started + result.endedAt);
    } finally {
      langsmith.release();
    }
    const [run] = await endedTraceOf(requestId);
    expect(run).toMatchObject({
      name: 'llm-stream-gateway:chat',
      extra: { metadata: { requestId } },
    });
  });
});
