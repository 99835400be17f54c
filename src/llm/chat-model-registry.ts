import { Inject, Injectable } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ChatModelParams } from './chat-model-params';
import { createChatModel } from './create-chat-model';

const MAX_CACHED_MODELS = 64;

/**
 * Hands out chat models, reusing one per distinct (model, temperature, maxTokens) so a request
 * does not pay for building a client and its HTTP agent.
 */
@Injectable()
export class ChatModelRegistry {
  private readonly models = new Map<string, BaseChatModel>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get provider(): string {
    return this.config.llm.provider;
  }

  get defaultModel(): string {
    return this.config.llm.model;
  }

  get(params: ChatModelParams): BaseChatModel {
    const key = `${params.model}\u0000${params.temperature ?? ''}\u0000${params.maxTokens ?? ''}`;
    const cached = this.models.get(key);
    if (cached) return cached;
    const model = createChatModel(this.config.llm, params);
    if (this.models.size >= MAX_CACHED_MODELS) {
      // Drop the oldest: Map iterates in insertion order.
      this.models.delete(this.models.keys().next().value as string);
    }
    this.models.set(key, model);
    return model;
  }
}
