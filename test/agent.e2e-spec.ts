import { AbortService } from '../src/abort/abort.service';
import { FakeOpenAIServer, type FakeScenario } from './support/fake-openai-server';
import { jsonToolCall } from './support/fake-tool-calls';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import {
  SLOW_TOOL_NAME,
  SlowToolProbe,
  slowToolPipeline,
  type SlowToolRun,
} from './support/slow-tool-pipeline';
import { endReason, readStream, tokenText } from './support/sse-client';
import { contiguousIds, eventNames, firstEvent, transcript } from './support/sse-transcript';
import { startApp, type RunningApp } from './support/start-app';
import { sleep, waitFor, within } from './support/wait-for';

/** The agent's tools as the fake upstream is told about them (createAgent binds both). */
const AGENT_TOOLS = ['calculator', 'current_time'];

describe('agent pipeline: the real ChatOpenAI and createAgent against a tool-calling upstream', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    service = await startApp(openAiEnv(await upstream.start()));
    streamUrl = `${service.url}/api/chat/stream`;
  });

  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const ask = (query: string, extra: Record<string, unknown> = {}) =>
    readStream(streamUrl, { body: { query, pipeline: 'agent', ...extra } });

  it('tool call, tool result, then the answer: every event in order, usage summed over both model calls', async () => {
    const question = 'What is 17 * 23?';
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [jsonToolCall('call_calc_17x23', 'calculator', { expression: '17 * 23' })],
        delayMs: 5,
        usage: { prompt_tokens: 120, completion_tokens: 18 },
      },
      {
        tokens: ['17 × 23 ', 'is ', '391.'],
        // The answer is slow to come, so a user sees the tool's result long before it.
        delayMs: 200,
        usage: { prompt_tokens: 150, completion_tokens: 6 },
      },
    ]);

    const result = await ask(question);

    expect(result.status).toBe(200);
    const entries = transcript(result);
    expect(entries.map((entry) => entry.id)).toEqual(contiguousIds(entries.length));
    expect(entries[0]).toMatchObject({
      event: 'start',
      data: { provider: 'openai', model: 'gpt-fake' },
    });
    expect(entries.slice(1)).toEqual([
      {
        id: 1,
        event: 'tool_call',
        data: {
          toolCallId: 'call_calc_17x23',
          name: 'calculator',
          args: { expression: '17 * 23' },
        },
      },
      {
        id: 2,
        event: 'tool_result',
        data: { toolCallId: 'call_calc_17x23', name: 'calculator', content: '391', isError: false },
      },
      { id: 3, event: 'message', data: { content: '17 × 23 ' } },
      { id: 4, event: 'message', data: { content: 'is ' } },
      { id: 5, event: 'message', data: { content: '391.' } },
      { id: 6, event: 'usage', data: { inputTokens: 270, outputTokens: 24, totalTokens: 294 } },
      { id: 7, event: 'end', data: { reason: 'stop' } },
    ]);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(firstEvent(result, 'message').at - firstEvent(result, 'tool_result').at).toBeGreaterThan(
      120,
    );

    const [first, second, ...more] = upstream.conversationFor(question);
    expect(more).toHaveLength(0);
    expect(first.body.tools?.map((tool) => tool.function.name)).toEqual(AGENT_TOOLS);
    expect(second.body.messages.slice(-2)).toMatchObject([
      {
        role: 'assistant',
        tool_calls: [
          {
            id: 'call_calc_17x23',
            type: 'function',
            function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_calc_17x23', content: '391' },
    ]);
  });

  it('text, then two tool calls in one turn: both calls, both results, both sent back', async () => {
    const question = 'What are 6 * 7 and 2 ^ 10?';
    upstream.scriptTurns(question, [
      {
        tokens: ['Let me work both out. '],
        toolCalls: [
          jsonToolCall('call_a', 'calculator', { expression: '6 * 7' }, 3),
          jsonToolCall('call_b', 'calculator', { expression: '2 ^ 10' }, 3),
        ],
      },
      { tokens: ['42 and 1024.'] },
    ]);

    const result = await ask(question);

    expect(eventNames(result)).toEqual([
      'start',
      'message',
      'tool_call',
      'tool_call',
      'tool_result',
      'tool_result',
      'message',
      'usage',
      'end',
    ]);
    const entries = transcript(result);
    expect(entries.map((entry) => entry.id)).toEqual(contiguousIds(entries.length));
    expect(
      entries.filter((entry) => entry.event === 'tool_call').map((entry) => entry.data),
    ).toEqual([
      { toolCallId: 'call_a', name: 'calculator', args: { expression: '6 * 7' } },
      { toolCallId: 'call_b', name: 'calculator', args: { expression: '2 ^ 10' } },
    ]);
    const results = entries.filter((entry) => entry.event === 'tool_result');
    expect(results.map((entry) => entry.data)).toEqual([
      { toolCallId: 'call_a', name: 'calculator', content: '42', isError: false },
      { toolCallId: 'call_b', name: 'calculator', content: '1024', isError: false },
    ]);
    expect(tokenText(result)).toBe('Let me work both out. 42 and 1024.');
    const toolMessages = upstream
      .conversationFor(question)[1]
      .body.messages.filter((message) => message.role === 'tool');
    expect(toolMessages).toMatchObject([
      { tool_call_id: 'call_a', content: '42' },
      { tool_call_id: 'call_b', content: '1024' },
    ]);
  });

  it.each([
    {
      label: 'the calculator throws on "2 +* 3"',
      call: jsonToolCall('call_bad_expr', 'calculator', { expression: '2 +* 3' }),
      shows: 'is not an arithmetic expression',
    },
    {
      label: 'the model calls a tool that does not exist',
      call: jsonToolCall('call_no_tool', 'teleport', { to: 'Mars' }),
      shows: 'teleport is not a valid tool',
    },
  ])('$label: tool_result with isError, and the agent goes on to answer', async (example) => {
    const question = `Tool failure: ${example.label}`;
    upstream.scriptTurns(question, [
      { tokens: [], toolCalls: [example.call] },
      { tokens: ['That did not work, ', 'sorry.'] },
    ]);

    const result = await ask(question);

    expect(eventNames(result)).toEqual([
      'start',
      'tool_call',
      'tool_result',
      'message',
      'message',
      'usage',
      'end',
    ]);
    const toolResult = firstEvent(result, 'tool_result').data as { content: string };
    expect(toolResult).toEqual({
      toolCallId: example.call.id,
      name: example.call.name,
      content: expect.stringContaining(example.shows) as string,
      isError: true,
    });
    expect(endReason(result)).toBe('stop');
    const conversation = upstream.conversationFor(question);
    expect(conversation).toHaveLength(2);
    // What the model was told is what the user was shown.
    expect(conversation[1].body.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: example.call.id,
      content: toolResult.content,
    });
  });

  it('an answer cut off at maxTokens (finish_reason "length") ends with reason length', async () => {
    const question = 'What is 6 * 7, at length?';
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [jsonToolCall('call_six_sevens', 'calculator', { expression: '6 * 7' })],
      },
      { tokens: ['The answer', ' is'], finishReason: 'length' },
    ]);

    const result = await ask(question, { maxTokens: 2 });

    expect(eventNames(result)).toEqual([
      'start',
      'tool_call',
      'tool_result',
      'message',
      'message',
      'usage',
      'end',
    ]);
    expect(endReason(result)).toBe('length');
  });

  it('a tool call cut off at maxTokens inside its arguments: an error, never a result from the cut arguments, no further upstream call', async () => {
    const question = 'What is 17 * 23, cut short?';
    upstream.scriptTurns(question, [
      {
        tokens: [],
        // LangChain's lenient JSON parser would make this {"expression": "17 * 2"}: a wrong sum.
        toolCalls: [
          { id: 'call_cut', name: 'calculator', argumentFragments: ['{"expression": "17 *', ' 2'] },
        ],
        finishReason: 'length',
      },
      { tokens: ['17 * 23 is 34.'] },
    ]);

    const result = await ask(question, { maxTokens: 8 });

    expect(transcript(result).slice(1)).toEqual([
      {
        id: 1,
        event: 'error',
        data: {
          code: 'upstream_bad_response',
          message: expect.any(String) as string,
          retryable: true,
        },
      },
      { id: 2, event: 'end', data: { reason: 'error' } },
    ]);
    await sleep(700);
    expect(upstream.conversationFor(question)).toHaveLength(1);
  });

  it('tool-call arguments that are not JSON: a clean error and end, no further upstream call', async () => {
    const question = 'Malformed arguments please';
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [
          {
            id: 'call_garbled',
            name: 'calculator',
            argumentFragments: ['expression: ', '17 * 23'],
          },
        ],
      },
      { tokens: ['This answer must never be requested.'] },
    ]);

    const result = await ask(question);

    expect(transcript(result).slice(1)).toEqual([
      {
        id: 1,
        event: 'error',
        data: {
          code: 'upstream_bad_response',
          message: expect.any(String) as string,
          retryable: true,
        },
      },
      { id: 2, event: 'end', data: { reason: 'error' } },
    ]);
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    // Long enough for a tool run and a second model call, had the agent gone on.
    await sleep(700);
    expect(upstream.conversationFor(question)).toHaveLength(1);
    await waitFor('no stream left running', () => service.app.get(AbortService).runningCount === 0);
    // No crash: the service answers the next request as usual.
    const next = await readStream(streamUrl, { body: { query: 'still alive?' } });
    expect(endReason(next)).toBe('stop');
  });
});

/** How long the slow tool takes unless cancelled: far longer than any bound asserted below. */
const SLOW_TOOL_MS = 2_500;
/** A tool run short enough to wait for, long enough to drop and re-attach in the middle of. */
const BRIEF_TOOL_MS = 900;
/** How soon a cancel must reach the tool and the upstream socket, on a loaded 2-core machine. */
const CANCEL_BOUND_MS = 1_000;

const answerWords = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `word${index} `);

describe.each([
  ['in-memory stream log', false],
  ['Redis stream log', true],
])('agent streams: resume and cancel around tool runs (%s)', (label, withRedis) => {
  const mode = withRedis ? 'redis' : 'memory';
  const upstream = new FakeOpenAIServer();
  const probe = new SlowToolProbe();
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    redis = withRedis ? await RedisServer.start() : undefined;
    const extra: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
    service = await startApp(openAiEnv(await upstream.start(), extra), {
      pipelines: [
        slowToolPipeline({ name: 'slow-agent', toolDelayMs: SLOW_TOOL_MS, probe }),
        slowToolPipeline({ name: 'brief-tool-agent', toolDelayMs: BRIEF_TOOL_MS, probe }),
      ],
    });
    streamUrl = `${service.url}/api/chat/stream`;
  }, 30_000);

  afterAll(async () => {
    await service?.close();
    await redis?.stop();
    await upstream.close();
  });

  const cancel = (requestId: string): Promise<Response> =>
    fetch(`${service.url}/api/chat/streams/${requestId}`, { method: 'DELETE' });
  const attach = (requestId: string, headers: Record<string, string> = {}) =>
    readStream(`${service.url}/api/chat/streams/${requestId}`, { method: 'GET', headers });
  /** The model calls the slow tool with the question as its query, then answers. */
  const scriptSlowLookup = (question: string, answer: FakeScenario): void =>
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [jsonToolCall(`call_${mode}_lookup`, SLOW_TOOL_NAME, { query: question })],
      },
      answer,
    ]);
  /** No model call after the one that asked for the tool, even once the tool would have ended. */
  const expectNoFurtherModelCall = async (question: string, run: SlowToolRun): Promise<void> => {
    await sleep(Math.max(0, run.startedAt + SLOW_TOOL_MS + 700 - Date.now()));
    expect(upstream.conversationFor(question)).toHaveLength(1);
    await waitFor('no stream left running', () => service.app.get(AbortService).runningCount === 0);
  };

  it('drop right after tool_call, re-attach with Last-Event-ID while the tool runs: the rest replays exactly', async () => {
    const question = `resume in the middle of a tool call (${label})`;
    const requestId = `resume-tool-${mode}`;
    scriptSlowLookup(question, { tokens: ['Found ', 'it.'], delayMs: 20 });

    const first = await readStream(streamUrl, {
      body: { query: question, pipeline: 'brief-tool-agent', onDisconnect: 'continue' },
      headers: { 'x-request-id': requestId },
      onEvent: (event) => event.event === 'tool_call',
    });
    const toolCallId = transcript(first).at(-1)?.id ?? -1;
    expect(eventNames(first)).toEqual(['start', 'tool_call']);
    const run = await probe.started(question);
    const attachSentAt = Date.now();
    const resumed = await attach(requestId, { 'last-event-id': String(toolCallId) });

    // The client came back while the tool was still running, and its leaving did not stop it.
    expect(run.finishedAt).toBeGreaterThan(attachSentAt);
    expect(run.abortedAt).toBeUndefined();
    expect(resumed.status).toBe(200);
    const rest = transcript(resumed);
    expect(rest.map((entry) => entry.id)).toEqual(rest.map((_, index) => toolCallId + 1 + index));
    expect(rest.map((entry) => entry.event)).toEqual([
      'tool_result',
      'message',
      'message',
      'usage',
      'end',
    ]);
    expect(rest[0].data).toEqual({
      toolCallId: `call_${mode}_lookup`,
      name: SLOW_TOOL_NAME,
      content: `found ${question}`,
      isError: false,
    });
    expect(tokenText(resumed)).toBe('Found it.');
    expect(endReason(resumed)).toBe('stop');
    expect(resumed.events.at(-1)?.data).toBe('[DONE]');

    // Byte for byte what a full replay has after the tool call, and before it what the first
    // client got.
    const full = await attach(requestId);
    const tail = withoutPreamble(resumed.raw);
    expect(full.raw.endsWith(tail)).toBe(true);
    expect(first.raw.startsWith(full.raw.slice(0, full.raw.length - tail.length))).toBe(true);
    expect(transcript(full)).toEqual([...transcript(first), ...rest]);
    expect(upstream.conversationFor(question)).toHaveLength(2);
  });

  it('DELETE while the tool runs: the tool sees its signal abort, no further model call, end cancelled', async () => {
    const question = `cancel during the slow tool (${label})`;
    const requestId = `cancel-tool-${mode}`;
    scriptSlowLookup(question, { tokens: ['This answer must never be requested.'] });

    const sentAt = Date.now();
    const streaming = readStream(streamUrl, {
      body: { query: question, pipeline: 'slow-agent' },
      headers: { 'x-request-id': requestId },
    });
    const run = await probe.started(question);
    await sleep(100);
    const deleteSentAt = Date.now();
    const response = await cancel(requestId);
    const result = await streaming;

    expect(response.status).toBe(202);
    expect(eventNames(result)).toEqual(['start', 'tool_call', 'end']);
    expect(endReason(result)).toBe('cancelled');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(sentAt + firstEvent(result, 'end').at - deleteSentAt).toBeLessThan(CANCEL_BOUND_MS);
    await waitFor('the tool to see its abort', () => run.abortedAt !== undefined, CANCEL_BOUND_MS);
    expect((run.abortedAt ?? 0) - deleteSentAt).toBeLessThan(CANCEL_BOUND_MS);
    expect(run.finishedAt).toBeUndefined();
    await expectNoFurtherModelCall(question, run);
  });

  it('the client hangs up while the tool runs (onDisconnect: cancel): the tool is aborted, no further model call', async () => {
    const question = `hang up during the slow tool (${label})`;
    scriptSlowLookup(question, { tokens: ['This answer must never be requested.'] });
    const controller = new AbortController();

    const streaming = readStream(streamUrl, {
      body: { query: question, pipeline: 'slow-agent' },
      signal: controller.signal,
    }).catch(() => undefined);
    const run = await probe.started(question);
    await sleep(100);
    const hungUpAt = Date.now();
    controller.abort();
    await streaming;

    await waitFor('the tool to see its abort', () => run.abortedAt !== undefined, CANCEL_BOUND_MS);
    expect((run.abortedAt ?? 0) - hungUpAt).toBeLessThan(CANCEL_BOUND_MS);
    expect(run.finishedAt).toBeUndefined();
    await expectNoFurtherModelCall(question, run);
  });

  it('DELETE while the answer streams: the upstream socket of the second model call closes, end cancelled', async () => {
    const question = `cancel while the agent answers (${label})`;
    const requestId = `cancel-answer-${mode}`;
    upstream.scriptTurns(question, [
      {
        tokens: [],
        toolCalls: [jsonToolCall('call_one_plus_one', 'calculator', { expression: '1 + 1' })],
      },
      { tokens: answerWords(60), delayMs: 40 },
    ]);
    let deleteSentAt = 0;
    let deleting: Promise<Response> | undefined;

    const result = await readStream(streamUrl, {
      body: { query: question, pipeline: 'agent' },
      headers: { 'x-request-id': requestId },
      onEvent: (event) => {
        if (event.event !== undefined || deleting) return;
        deleteSentAt = Date.now();
        deleting = cancel(requestId);
      },
    });

    expect((await deleting)?.status).toBe(202);
    expect(eventNames(result).slice(0, 3)).toEqual(['start', 'tool_call', 'tool_result']);
    expect(endReason(result)).toBe('cancelled');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(tokenText(result).split(' ').length).toBeLessThan(30);
    const conversation = upstream.conversationFor(question);
    expect(conversation).toHaveLength(2);
    const abortedAt = await within('the upstream socket to close', conversation[1].aborted, 5_000);
    expect(abortedAt - deleteSentAt).toBeLessThan(CANCEL_BOUND_MS);
  });
});

describe('agent pipeline on the demo model (LLM_PROVIDER=demo)', () => {
  const DELAY_MS = 25;
  let service: RunningApp;

  beforeAll(async () => {
    service = await startApp({ LLM_PROVIDER: 'demo', DEMO_TOKEN_DELAY_MS: String(DELAY_MS) });
  });

  afterAll(() => service.close());

  it('answers "What is 17 * 23?" with a calculator call and 391, its reasoning streamed before the call', async () => {
    const result = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'What is 17 * 23?', pipeline: 'agent' },
    });

    const entries = transcript(result);
    expect(entries.map((entry) => entry.id)).toEqual(contiguousIds(entries.length));
    expect(entries[0]).toMatchObject({ event: 'start', data: { provider: 'demo' } });
    const names = eventNames(result);
    const callAt = names.indexOf('tool_call');
    expect(names.slice(1, callAt).every((name) => name === 'reasoning')).toBe(true);
    expect(callAt).toBeGreaterThan(3);
    expect(names.slice(callAt, callAt + 2)).toEqual(['tool_call', 'tool_result']);
    expect(names.slice(-2)).toEqual(['usage', 'end']);
    const reasoning = entries
      .filter((entry) => entry.event === 'reasoning')
      .map((entry) => (entry.data as { content: string }).content)
      .join('');
    expect(reasoning).toContain('17 * 23');
    expect(firstEvent(result, 'tool_call').data).toEqual({
      toolCallId: expect.stringMatching(/^call_demo_/) as string,
      name: 'calculator',
      args: { expression: '17 * 23' },
    });
    expect(firstEvent(result, 'tool_result').data).toMatchObject({
      name: 'calculator',
      content: '391',
      isError: false,
    });
    expect(tokenText(result)).toContain('391');
    expect(endReason(result)).toBe('stop');
    // Streamed as it is thought, not held back until the call: each word takes DELAY_MS.
    expect(firstEvent(result, 'tool_call').at - firstEvent(result, 'reasoning').at).toBeGreaterThan(
      4 * DELAY_MS,
    );
  });
});

function withoutPreamble(raw: string): string {
  return raw.replace(/^retry: \d+\n\n/, '');
}
