import { AsyncLocalStorage } from 'node:async_hooks';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { CallbackManager } from '@langchain/core/callbacks/manager';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { RunnableConfig } from '@langchain/core/runnables';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { canStreamDirectly } from './fast-path';

/** A handler that does nothing: what matters is that LangChain would have one to call. */
class RecordingHandler extends BaseCallbackHandler {
  name = 'recording_handler';
}

/** A chat model that only generates whole answers: `stream()` falls back to `invoke()` for it. */
class GenerateOnlyModel extends BaseChatModel {
  _llmType(): string {
    return 'generate-only';
  }

  _generate(): Promise<ChatResult> {
    return Promise.resolve({ generations: [{ text: 'hi', message: new AIMessage('hi') }] });
  }
}

const streamingModel = (fields: Partial<ConstructorParameters<typeof FakeListChatModel>[0]> = {}) =>
  new FakeListChatModel({ responses: ['hello there'], ...fields });

/** The config `PipelineStreams` builds for every run. */
const gatewayConfig = (extra: Partial<RunnableConfig> = {}): RunnableConfig => ({
  signal: new AbortController().signal,
  runName: 'llm-stream-gateway:chat',
  tags: ['llm-stream-gateway', 'pipeline:chat', 'request:r1'],
  metadata: { requestId: 'r1', pipeline: 'chat' },
  ...extra,
});

const TRACING_AND_VERBOSE_VARS = [
  'LANGSMITH_TRACING',
  'LANGSMITH_TRACING_V2',
  'LANGCHAIN_TRACING',
  'LANGCHAIN_TRACING_V2',
  'LANGCHAIN_VERBOSE',
];

describe('canStreamDirectly', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    // The host may trace; each case sets exactly the variables it is about.
    for (const name of TRACING_AND_VERBOSE_VARS) delete process.env[name];
  });

  afterEach(() => {
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) delete process.env[name];
    }
    Object.assign(process.env, saved);
  });

  it('is true for a streaming model with nothing to call back, trace or drop', () => {
    expect(canStreamDirectly(streamingModel(), gatewayConfig())).toBe(true);
    expect(canStreamDirectly(streamingModel(), {})).toBe(true);
    expect(canStreamDirectly(streamingModel(), gatewayConfig({ callbacks: [] }))).toBe(true);
  });

  it('is true when tracing variables are set to anything but "true"', () => {
    process.env.LANGSMITH_TRACING = 'false';
    process.env.LANGCHAIN_TRACING_V2 = 'false';
    process.env.LANGCHAIN_VERBOSE = 'false';
    expect(canStreamDirectly(streamingModel(), gatewayConfig())).toBe(true);
  });

  it('is false with a handler in the call config (a list or a manager)', () => {
    const handler = new RecordingHandler();
    expect(canStreamDirectly(streamingModel(), gatewayConfig({ callbacks: [handler] }))).toBe(
      false,
    );
    const manager = new CallbackManager();
    manager.addHandler(handler);
    expect(canStreamDirectly(streamingModel(), gatewayConfig({ callbacks: manager }))).toBe(false);
  });

  it('is false with a handler on the model', () => {
    const model = streamingModel({ callbacks: [new RecordingHandler()] });
    expect(canStreamDirectly(model, gatewayConfig())).toBe(false);
  });

  it('is false for a verbose model, or with LANGCHAIN_VERBOSE=true', () => {
    expect(canStreamDirectly(streamingModel({ verbose: true }), gatewayConfig())).toBe(false);
    process.env.LANGCHAIN_VERBOSE = 'true';
    expect(canStreamDirectly(streamingModel(), gatewayConfig())).toBe(false);
  });

  it.each(['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_TRACING_V2'])(
    'is false with %s=true (LangSmith tracing)',
    (name) => {
      process.env[name] = 'true';
      expect(canStreamDirectly(streamingModel(), gatewayConfig())).toBe(false);
    },
  );

  it('is false for a model without its own _streamResponseChunks', () => {
    expect(canStreamDirectly(new GenerateOnlyModel({}), gatewayConfig())).toBe(false);
  });

  it('is false for a model with its own _streamIterator (stream() runs it, not the chunks)', () => {
    class CustomIteratorModel extends FakeListChatModel {
      override async *_streamIterator(...args: Parameters<FakeListChatModel['_streamIterator']>) {
        yield* super._streamIterator(...args);
      }
    }
    const model = new CustomIteratorModel({ responses: ['hello'] });
    expect(canStreamDirectly(model, gatewayConfig())).toBe(false);
  });

  it('is false for a model with streaming disabled (stream() would invoke it whole)', () => {
    const model = streamingModel();
    model.disableStreaming = true;
    expect(canStreamDirectly(model, gatewayConfig())).toBe(false);
  });

  it('is false for a model emitting v1 content blocks (stream() converts each chunk)', () => {
    const model = streamingModel();
    model.outputVersion = 'v1';
    expect(canStreamDirectly(model, gatewayConfig())).toBe(false);
  });

  it('is false when the config carries what the direct call would drop', () => {
    // stream() turns a timeout into a signal; call options such as `stop` reach the provider.
    expect(canStreamDirectly(streamingModel(), gatewayConfig({ timeout: 1000 }))).toBe(false);
    const withStop = { ...gatewayConfig(), stop: ['\n'] } as RunnableConfig;
    expect(canStreamDirectly(streamingModel(), withStop)).toBe(false);
  });

  it('is false inside a run whose ambient config has handlers (stream() inherits them)', () => {
    AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
    const ambient: RunnableConfig = { callbacks: [new RecordingHandler()] };
    const inside = AsyncLocalStorageProviderSingleton.runWithConfig(ambient, () =>
      canStreamDirectly(streamingModel(), gatewayConfig()),
    );
    expect(inside).toBe(false);
  });
});
