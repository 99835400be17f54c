import { BadRequestException } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import type { ChatMessage, ChatRequest, DisconnectPolicy } from './chat-request';

/** The fields of either DTO that `toChatRequest` reads. */
export interface ChatRequestInput {
  query?: string;
  messages?: ChatMessage[];
  system?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  onDisconnect?: DisconnectPolicy;
  pipeline?: string;
}

function buildMessages(input: ChatRequestInput, config: AppConfig): ChatMessage[] {
  const hasQuery = input.query !== undefined;
  const hasMessages = input.messages !== undefined;
  if (hasQuery === hasMessages) {
    throw new BadRequestException('Send exactly one of "query" or "messages".');
  }
  const { maxQueryChars, maxInputChars } = config.limits;
  if (input.query !== undefined && input.query.length > maxQueryChars) {
    throw new BadRequestException(`query must be at most ${maxQueryChars} characters.`);
  }
  const conversation = input.messages ?? [{ role: 'user', content: input.query ?? '' }];
  const messages: ChatMessage[] = input.system
    ? [{ role: 'system', content: input.system }, ...conversation]
    : conversation.map(({ role, content }) => ({ role, content }));
  const totalChars = messages.reduce((sum, message) => sum + message.content.length, 0);
  if (totalChars > maxInputChars) {
    throw new BadRequestException(`The input must be at most ${maxInputChars} characters in all.`);
  }
  return messages;
}

/** Applies the limits that depend on configuration, and fills in defaults. */
export function toChatRequest(input: ChatRequestInput, config: AppConfig): ChatRequest {
  const messages = buildMessages(input, config);
  const { maxTokens: ceiling, allowedModels, model: defaultModel } = config.llm;
  if (input.maxTokens !== undefined && input.maxTokens > ceiling) {
    throw new BadRequestException(`maxTokens must not be greater than ${ceiling}.`);
  }
  const model = input.model ?? defaultModel;
  if (allowedModels.length > 0 && !allowedModels.includes(model)) {
    throw new BadRequestException(`model must be one of: ${allowedModels.join(', ')}.`);
  }
  return {
    messages,
    model,
    temperature: input.temperature,
    maxTokens: input.maxTokens,
    onDisconnect: input.onDisconnect ?? 'cancel',
    pipeline: input.pipeline ?? 'chat',
  };
}
