import { AbortService } from '../src/abort/abort.service';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { jsonToolCall } from './support/fake-tool-calls';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream, tokenText } from './support/sse-client';
import { contiguousIds, eventNames, firstEvent, transcript } from './support/sse-transcript';
import { startApp, type RunningApp } from './support/start-app';
import { sleep, waitFor } from './support/wait-for';

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
