import {
  BaseChatModel,
  type BaseChatModelCallOptions,
} from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Logger } from '@nestjs/common';
import { StreamAbortReason } from '../abort/stream-abort-reason';
import type { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/load-config';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { abortableDelay } from '../llm/abortable-delay';
import { DemoChatModel } from '../llm/demo-chat-model';
import type { ChatEvent } from '../protocol/chat-event';
import type { ChatRequest } from './chat-request';
import { PipelineRegistry } from '../pipelines/pipeline-registry';
import { PipelineStreams } from '../pipelines/pipeline-streams';
import { PIPELINES } from '../pipelines/pipelines';
import { ChatService } from './chat.service';

/** Streams two tokens, then fails the way the OpenAI client does on an HTTP error. */
class FailingModel extends BaseChatModel {
  constructor(private readonly failure: unknown) {
    super({});
  }
  _llmType(): string {
    return 'failing';
  }
  _generate(): Promise<ChatResult> {
    throw new Error('not used');
  }
  override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
    yield new ChatGenerationChunk({ text: 'a', message: new AIMessageChunk({ content: 'a' }) });
    await Promise.resolve();
    throw this.failure;
  }
}

/** Sends one token and then nothing, until aborted. */
class StallingModel extends BaseChatModel {
  _llmType(): string {
    return 'stalling';
  }
  _generate(): Promise<ChatResult> {
    throw new Error('not used');
  }
  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: BaseChatModelCallOptions,
  ): AsyncGenerator<ChatGenerationChunk> {
    yield new ChatGenerationChunk({ text: 'x', message: new AIMessageChunk({ content: 'x' }) });
    await abortableDelay(60_000, options.signal);
  }
}

/**
 * Behaves like ChatAnthropic (and ChatOpenAI with a chunk buffered): when its signal aborts it
 * stops and returns normally, after a last usage chunk, instead of throwing.
 */
class QuietOnAbortModel extends BaseChatModel {
  _llmType(): string {
    return 'quiet-on-abort';
  }
  _generate(): Promise<ChatResult> {
    throw new Error('not used');
  }
  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: BaseChatModelCallOptions,
  ): AsyncGenerator<ChatGenerationChunk> {
    for (let index = 0; index < 1000; index++) {
      if (options.signal?.aborted) break;
      yield new ChatGenerationChunk({ text: 't', message: new AIMessageChunk({ content: 't' }) });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        usage_metadata: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        response_metadata: { stop_reason: 'end_turn' },
      }),
    });
  }
}

class FixedModelRegistry extends ChatModelRegistry {
  constructor(
    config: AppConfig,
    private readonly model: BaseChatModel,
  ) {
    super(config);
  }
  override get(): BaseChatModel {
    return this.model;
  }
}

const REQUEST: ChatRequest = {
  messages: [{ role: 'user', content: 'Why?' }],
  model: 'm',
  onDisconnect: 'cancel',
  pipeline: 'chat',
};

async function run(
  model: BaseChatModel,
  options: { signal?: AbortSignal; env?: Record<string, string>; request?: ChatRequest } = {},
): Promise<ChatEvent[]> {
  const config = loadConfig(options.env ?? {});
  const models = new FixedModelRegistry(config, model);
  const pipelines = new PipelineStreams(new PipelineRegistry(PIPELINES), models);
  const service = new ChatService(models, pipelines, config);
  const events: ChatEvent[] = [];
  const stream = service.stream({
    requestId: 'r1',
    request: options.request ?? REQUEST,
    signal: options.signal ?? new AbortController().signal,
  });
  for await (const event of stream) events.push(event);
  return events;
}

const types = (events: ChatEvent[]): string[] => events.map((event) => event.type);

describe('ChatService', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('maps each chunk with text to one token event, numbered from 0, ending with end: stop', async () => {
    const events = await run(new FakeListChatModel({ responses: ['Hi!'] }));
    expect(types(events)).toEqual(['start', 'token', 'token', 'token', 'end']);
    expect(events.map((event) => event.id)).toEqual([0, 1, 2, 3, 4]);
    expect(events[0].data).toMatchObject({ requestId: 'r1', model: 'm', provider: 'demo' });
    expect(events.at(-1)?.data).toEqual({ reason: 'stop' });
  });

  it('reports usage before end, and end: length when maxTokens cut the answer', async () => {
    const model = new DemoChatModel({ model: 'demo-1', tokenDelayMs: 0, maxTokens: 3 });
    const events = await run(model);
    expect(types(events)).toEqual(['start', 'token', 'token', 'token', 'usage', 'end']);
    expect(events[4].data).toMatchObject({ outputTokens: 3 });
    expect(events[5].data).toEqual({ reason: 'length' });
  });

  it.each([
    [Object.assign(new Error('boom'), { status: 500 }), 'upstream_error', true],
    [Object.assign(new Error('slow down'), { status: 429 }), 'upstream_rate_limited', true],
    [Object.assign(new Error('bad key sk-123'), { status: 401 }), 'upstream_auth', false],
    [new SyntaxError('Unexpected token'), 'upstream_bad_response', true],
    [new TypeError('terminated'), 'upstream_error', true],
  ])(
    'keeps tokens so far, then one error and end: error, for %s',
    async (failure, code, retryable) => {
      const events = await run(new FailingModel(failure));
      expect(types(events)).toEqual(['start', 'token', 'error', 'end']);
      expect(events[2].data).toEqual({ code, message: expect.any(String) as string, retryable });
      expect(JSON.stringify(events[2].data)).not.toMatch(/sk-123|boom|slow down/);
      expect(events[3].data).toEqual({ reason: 'error' });
    },
  );

  it('ends with cancelled, without an error, when the signal is aborted', async () => {
    const controller = new AbortController();
    const model = new DemoChatModel({ model: 'demo-1', tokenDelayMs: 5 });
    setTimeout(() => controller.abort(new StreamAbortReason('cancelled')), 30);
    const events = await run(model, { signal: controller.signal });
    expect(events.at(-1)).toMatchObject({ type: 'end', data: { reason: 'cancelled' } });
    expect(types(events)).not.toContain('error');
    expect(types(events)).not.toContain('usage');
  });

  it.each([
    ['cancelled', 'cancelled', undefined],
    ['client_gone', 'cancelled', undefined],
    ['timeout', 'timeout', 'upstream_timeout'],
    ['shutdown', 'shutdown', 'shutting_down'],
  ] as const)(
    'reports an abort (%s) by its reason even when the provider returns quietly',
    async (kind, reason, errorCode) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new StreamAbortReason(kind)), 20);
      const events = await run(new QuietOnAbortModel({}), { signal: controller.signal });
      expect(events.at(-1)).toMatchObject({ type: 'end', data: { reason } });
      expect(types(events)).not.toContain('usage');
      const error = events.find((event) => event.type === 'error');
      expect(error?.data).toEqual(
        errorCode ? expect.objectContaining({ code: errorCode }) : undefined,
      );
    },
  );

  it('ends with shutting_down and end: shutdown when aborted for shutdown', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new StreamAbortReason('shutdown')), 20);
    const events = await run(new StallingModel({}), { signal: controller.signal });
    expect(types(events)).toEqual(['start', 'token', 'error', 'end']);
    expect(events[2].data).toMatchObject({ code: 'shutting_down' });
    expect(events[3].data).toEqual({ reason: 'shutdown' });
  });

  it('times out an upstream that goes silent, with upstream_timeout and end: timeout', async () => {
    const started = Date.now();
    const events = await run(new StallingModel({}), { env: { STREAM_IDLE_TIMEOUT_MS: '100' } });
    expect(types(events)).toEqual(['start', 'token', 'error', 'end']);
    expect(events[2].data).toMatchObject({ code: 'upstream_timeout', retryable: true });
    expect(events[3].data).toEqual({ reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});
