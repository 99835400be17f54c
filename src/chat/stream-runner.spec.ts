import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { ConflictException, Logger } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { AbortService } from '../abort/abort.service';
import { LocalCancelBus } from '../abort/local-cancel-bus';
import type { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/load-config';
import { InstanceId } from '../lifecycle/instance-id';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { abortableDelay } from '../llm/abortable-delay';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { StreamMetrics } from '../metrics/stream-metrics';
import { PipelineRegistry } from '../pipelines/pipeline-registry';
import { PipelineStreams } from '../pipelines/pipeline-streams';
import { PIPELINES } from '../pipelines/pipelines';
import { MemoryStreamLog } from '../stream-log/memory-stream-log';
import { StreamLogUnavailableError } from '../stream-log/stream-log';
import type { ChatRequest } from './chat-request';
import { ChatService } from './chat.service';
import { StreamRunner, type StartedStream } from './stream-runner';

/** Streams five tokens 5 ms apart, abortably, and counts how often it was asked to. */
class CountingModel extends BaseChatModel {
  calls = 0;
  _llmType(): string {
    return 'counting';
  }
  _generate(): Promise<ChatResult> {
    throw new Error('not used');
  }
  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: BaseChatModelCallOptions,
  ): AsyncGenerator<ChatGenerationChunk> {
    this.calls++;
    for (const text of ['a', 'b', 'c', 'd', 'e']) {
      await abortableDelay(5, options.signal);
      yield new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
    }
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

/** A memory log whose storage is down: every claim fails the way Redis's does. */
class UnreachableLog extends MemoryStreamLog {
  override create(): Promise<boolean> {
    return Promise.reject(new StreamLogUnavailableError(new Error('connection refused')));
  }
}

const REQUEST: ChatRequest = {
  messages: [{ role: 'user', content: 'Why?' }],
  model: 'm',
  onDisconnect: 'cancel',
  pipeline: 'chat',
};
const OWNER = 'f'.repeat(32);

/** StreamRunner with its real collaborators, wired by hand. */
function wire(options: { unreachable?: boolean } = {}) {
  const config = loadConfig({});
  const model = new CountingModel({});
  const models = new FixedModelRegistry(config, model);
  const chat = new ChatService(
    models,
    new PipelineStreams(new PipelineRegistry(PIPELINES), models),
    config,
  );
  const log = options.unreachable ? new UnreachableLog(config) : new MemoryStreamLog(config);
  const aborts = new AbortService(new LocalCancelBus());
  const metrics = new StreamMetrics(aborts, log);
  const runner = new StreamRunner(chat, log, aborts, new InstanceId(), metrics);
  const admission = new StreamAdmission(new ShutdownState(), config);
  // Admission only touches the response to set Retry-After on a refusal.
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  const start = (requestId: string): Promise<StartedStream> =>
    runner.start({
      requestId,
      request: REQUEST,
      owner: OWNER,
      ticket: admission.reserve(res, OWNER),
    });
  return { model, log, aborts, admission, start };
}

async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const endReason = (data: string | undefined): string | undefined =>
  data === undefined ? undefined : (JSON.parse(data) as { reason?: string }).reason;

describe('StreamRunner', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('abandon() ends a stream whose events were never read: lease, place and log all closed, no model call', async () => {
    const { model, log, aborts, admission, start } = wire();
    const stream = await start('never-read');
    expect({ running: aborts.runningCount, admitted: admission.admittedFor(OWNER) }).toEqual({
      running: 1,
      admitted: 1,
    });

    stream.abandon();

    await eventually(async () => (await log.meta(stream.key))?.status === 'finished');
    expect(aborts.runningCount).toBe(0);
    expect(aborts.isRunningHere(stream.key)).toBe(false);
    expect(admission.admittedCount).toBe(0);
    expect(admission.admittedFor(OWNER)).toBe(0);
    const stored = await log.range(stream.key, -1, 100);
    expect(stored.map((event) => event.type)).toEqual(['start', 'end']);
    expect(endReason(stored[1].data)).toBe('cancelled');
    expect(model.calls).toBe(0);
    // Twice is harmless: the place is not given back a second time.
    stream.abandon();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admission.admittedCount).toBe(0);
  });

  it('abandon() once the events are being read changes nothing: the stream runs to its end', async () => {
    const { model, aborts, admission, start } = wire();
    const stream = await start('being-read');
    const first = await stream.events.next();
    expect(first.value?.type).toBe('start');

    stream.abandon();

    expect(stream.lease.signal.aborted).toBe(false);
    const types: string[] = [];
    let last: string | undefined;
    for await (const event of stream.events) {
      types.push(event.type);
      last = event.data;
    }
    expect(types.filter((type) => type === 'token')).toHaveLength(5);
    expect(endReason(last)).toBe('stop');
    expect(model.calls).toBe(1);
    expect({ running: aborts.runningCount, admitted: admission.admittedCount }).toEqual({
      running: 0,
      admitted: 0,
    });
  });

  it('gives the place back when the id is taken (409)', async () => {
    const { admission, start } = wire();
    const first = await start('taken');
    await expect(start('taken')).rejects.toBeInstanceOf(ConflictException);
    expect(admission.admittedCount).toBe(1);
    first.abandon();
    await eventually(() => admission.admittedCount === 0);
  });

  it('gives the place back when the log cannot be reached (503)', async () => {
    const { aborts, admission, start } = wire({ unreachable: true });
    await expect(start('no-storage')).rejects.toBeInstanceOf(StreamLogUnavailableError);
    expect({ running: aborts.runningCount, admitted: admission.admittedCount }).toEqual({
      running: 0,
      admitted: 0,
    });
  });
});
