import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import type { AppConfig } from '../config/app-config';
import type { ChatModelParams } from './chat-model-params';
import { DemoChatModel } from './demo-chat-model';

/** The one place a provider name becomes a LangChain chat model. */
export function createChatModel(llm: AppConfig['llm'], params: ChatModelParams): BaseChatModel {
  switch (llm.provider) {
    case 'demo':
      return new DemoChatModel({
        model: params.model,
        tokenDelayMs: llm.demoTokenDelayMs,
        maxTokens: params.maxTokens,
      });
    case 'openai':
    case 'ollama':
      return new ChatOpenAI({
        model: params.model,
        temperature: params.temperature,
        maxTokens: params.maxTokens,
        // OpenAI-compatible servers without auth (vLLM, llama.cpp, Ollama) still need a value.
        apiKey: llm.openaiApiKey ?? 'not-needed',
        configuration: {
          baseURL: llm.provider === 'ollama' ? llm.ollamaBaseUrl : llm.openaiBaseUrl,
        },
        streaming: true,
        streamUsage: llm.streamUsage,
        // Interactive streams: fail fast rather than retry for half a minute.
        maxRetries: llm.maxRetries,
      });
    case 'anthropic':
      return new ChatAnthropic({
        model: params.model,
        temperature: params.temperature,
        maxTokens: params.maxTokens,
        apiKey: llm.anthropicApiKey,
        anthropicApiUrl: llm.anthropicBaseUrl,
        streaming: true,
        maxRetries: llm.maxRetries,
      });
  }
}
