import { Logger } from '@nestjs/common';
import type { ChatEvent } from '../protocol/chat-event';
import type { ChatRequest } from '../chat/chat-request';
import { ChatService } from '../chat/chat.service';
import { loadConfig } from '../config/load-config';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { PipelineRegistry } from './pipeline-registry';
import { PipelineStreams } from './pipeline-streams';
import { PIPELINES } from './pipelines';

async function run(question: string, pipeline = 'agent'): Promise<ChatEvent[]> {
  const config = loadConfig({ DEMO_TOKEN_DELAY_MS: '0' });
  const models = new ChatModelRegistry(config);
  const service = new ChatService(
    models,
    new PipelineStreams(new PipelineRegistry(PIPELINES), models),
    config,
  );
  const request: ChatRequest = {
    messages: [{ role: 'user', content: question }],
    model: 'demo-1',
    onDisconnect: 'cancel',
    pipeline,
  };
  const events: ChatEvent[] = [];
  const signal = new AbortController().signal;
  for await (const event of service.stream({ requestId: 'r1', request, signal }))
    events.push(event);
  return events;
}

const answer = (events: ChatEvent[]): string =>
  events.map((event) => (event.type === 'token' ? event.data.content : '')).join('');

describe('agent pipeline on the demo model', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('calls the calculator for arithmetic and answers with its result', async () => {
    const events = await run('What is 12 * (3 + 4)?');
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('start');
    expect(types).toContain('reasoning');
    const call = events.find((event) => event.type === 'tool_call');
    expect(call?.data).toEqual({
      toolCallId: expect.stringMatching(/^call_demo_/) as string,
      name: 'calculator',
      args: { expression: '12 * (3 + 4)' },
    });
    const result = events.find((event) => event.type === 'tool_result');
    expect(result?.data).toMatchObject({ name: 'calculator', content: '84', isError: false });
    expect(types.indexOf('tool_call')).toBeLessThan(types.indexOf('tool_result'));
    expect(types.indexOf('tool_result')).toBeLessThan(types.indexOf('token'));
    expect(answer(events)).toContain('84');
    expect(types.slice(-2)).toEqual(['usage', 'end']);
    expect(events.at(-1)?.data).toEqual({ reason: 'stop' });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index));
  });

  it('calls the clock for the time', async () => {
    const events = await run('What time is it?');
    const result = events.find((event) => event.type === 'tool_result');
    expect(result?.data).toMatchObject({ name: 'current_time', isError: false });
    expect(answer(events)).toContain('It is now');
  });

  it('answers without tools when none is needed', async () => {
    const events = await run('Why is the sky blue?');
    expect(events.map((event) => event.type)).not.toContain('tool_call');
    expect(answer(events)).toContain('demo model');
  });
});
