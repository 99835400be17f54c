/**
 * This service (the same `createApp` as `dist/main.js`) plus one pipeline, `chat-callback`: the
 * `chat` pipeline's model, built by the same factory, with one callback handler that receives
 * every token and does nothing with it. Any handler makes the gateway stream through LangChain's
 * `stream()` (the fast path needs none); a handler that does nothing isolates what that path and
 * LangChain's callback plumbing cost, apart from any tracer's own work.
 */
import 'reflect-metadata';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load-config';
import { createApp } from '../../src/create-app';
import { createChatModel } from '../../src/llm/create-chat-model';
import type { Pipeline } from '../../src/pipelines/pipeline';
import { announce, NOOP_CALLBACK_PIPELINE } from './peer-env';

class NoopCallbackHandler extends BaseCallbackHandler {
  name = 'bench_noop_callback';

  override handleLLMNewToken(): void {
    // Deliberately nothing: the cost measured is LangChain's, not this handler's.
  }
}

const config = loadConfig(process.env);
const handler = new NoopCallbackHandler();
/** One model per model name, like the app's own registry (the bench sends one). */
const models = new Map<string, BaseChatModel>();

const noopCallbackPipeline: Pipeline = {
  name: NOOP_CALLBACK_PIPELINE,
  description: 'Bench only: the chat model with a do-nothing callback handler.',
  create: (request) => {
    let model = models.get(request.model);
    if (!model) {
      model = createChatModel(config.llm, request);
      model.callbacks = [handler];
      models.set(request.model, model);
    }
    return model;
  },
};

async function main(): Promise<void> {
  const app = await createApp(config, { pipelines: [noopCallbackPipeline] });
  await app.listen(config.port, '127.0.0.1');
  const server: Server = app.getHttpServer();
  announce((server.address() as AddressInfo).port);
}

void main();
