import { AppConfig, LLM_PROVIDERS, LlmProviderName } from './app-config';
import { ConfigError } from './config-error';
import {
  Env,
  readBoolean,
  readByteSize,
  readChoice,
  readInt,
  readList,
  readString,
  readUrl,
} from './env-readers';
import { readHttpConfig } from './read-http-config';
import { readRedisConfig } from './read-redis-config';

const DEFAULT_MODELS: Record<LlmProviderName, string> = {
  demo: 'demo-1',
  openai: 'gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
  ollama: 'llama3.2',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function readLlmConfig(env: Env): AppConfig['llm'] {
  const openaiApiKey = readString(env, 'OPENAI_API_KEY');
  const provider = readChoice(env, 'LLM_PROVIDER', LLM_PROVIDERS, openaiApiKey ? 'openai' : 'demo');
  const anthropicApiKey = readString(env, 'ANTHROPIC_API_KEY');
  const openaiBaseUrl = readUrl(env, 'OPENAI_BASE_URL', ['http:', 'https:']);
  if (provider === 'openai' && !openaiApiKey && !openaiBaseUrl) {
    throw new ConfigError('OPENAI_API_KEY', 'is required when LLM_PROVIDER=openai');
  }
  if (provider === 'anthropic' && !anthropicApiKey) {
    throw new ConfigError('ANTHROPIC_API_KEY', 'is required when LLM_PROVIDER=anthropic');
  }
  const model = readString(env, 'LLM_MODEL') ?? DEFAULT_MODELS[provider];
  const allowedModels = readList(env, 'LLM_ALLOWED_MODELS');
  if (allowedModels.length > 0 && !allowedModels.includes(model)) {
    throw new ConfigError('LLM_ALLOWED_MODELS', `must include the default model "${model}"`);
  }
  return {
    provider,
    model,
    allowedModels,
    openaiApiKey,
    openaiBaseUrl,
    anthropicApiKey,
    anthropicBaseUrl: readUrl(env, 'ANTHROPIC_BASE_URL', ['http:', 'https:']),
    ollamaBaseUrl:
      readUrl(env, 'OLLAMA_BASE_URL', ['http:', 'https:']) ?? 'http://127.0.0.1:11434/v1',
    streamUsage: readBoolean(env, 'LLM_STREAM_USAGE', true),
    maxRetries: readInt(env, 'LLM_MAX_RETRIES', { fallback: 1, min: 0, max: 5 }),
    maxTokens: readInt(env, 'LLM_MAX_TOKENS', { fallback: 4096, min: 1, max: 1_000_000 }),
    demoTokenDelayMs: readInt(env, 'DEMO_TOKEN_DELAY_MS', { fallback: 60, min: 0, max: 10_000 }),
  };
}

function readStreamConfig(env: Env): AppConfig['stream'] {
  const idleTimeoutMs = readInt(env, 'STREAM_IDLE_TIMEOUT_MS', {
    fallback: 60_000,
    min: 10,
    max: 3_600_000,
  });
  const ttlSeconds = readInt(env, 'STREAM_TTL_S', { fallback: 600, min: 1, max: 7 * 86_400 });
  // A client that lost its connection while the model was silent must still find the stream.
  if (ttlSeconds * 1000 < idleTimeoutMs) {
    throw new ConfigError(
      'STREAM_TTL_S',
      `must be at least STREAM_IDLE_TIMEOUT_MS (${idleTimeoutMs} ms), got ${ttlSeconds} s`,
    );
  }
  return {
    heartbeatMs: readInt(env, 'HEARTBEAT_MS', { fallback: 15_000, min: 10, max: 600_000 }),
    idleTimeoutMs,
    ttlSeconds,
    shutdownGraceMs: readInt(env, 'SHUTDOWN_GRACE_MS', { fallback: 10_000, min: 0, max: 600_000 }),
    memoryLogMaxStreams: readInt(env, 'MEMORY_LOG_MAX_STREAMS', { fallback: 10_000, min: 1 }),
    memoryLogMaxBytes: readByteSize(env, 'MEMORY_LOG_MAX_BYTES', 256 * 1024 ** 2, {
      max: 64 * 1024 ** 3,
    }),
    slowClientTimeoutMs: readInt(env, 'SLOW_CLIENT_TIMEOUT_MS', {
      fallback: 30_000,
      min: 10,
      max: 3_600_000,
    }),
  };
}

/**
 * Reads and validates the environment once, at boot. Throws a ConfigError whose message is a
 * single line naming the offending variable.
 */
export function loadConfig(env: Env): AppConfig {
  const maxQueryChars = readInt(env, 'MAX_QUERY_CHARS', { fallback: 32_000, min: 1 });
  const maxInputChars = readInt(env, 'MAX_INPUT_CHARS', { fallback: 128_000, min: 1 });
  if (maxQueryChars > maxInputChars) {
    throw new ConfigError('MAX_QUERY_CHARS', 'must not exceed MAX_INPUT_CHARS');
  }
  return {
    port: readInt(env, 'PORT', { fallback: 3000, min: 0, max: 65535 }),
    llm: readLlmConfig(env),
    limits: {
      maxConcurrentStreams: readInt(env, 'MAX_CONCURRENT_STREAMS', { fallback: 1000, min: 1 }),
      maxStreamsPerKey: readInt(env, 'MAX_STREAMS_PER_KEY', { fallback: 100, min: 0 }),
      streamStartsPerMinute: readInt(env, 'RATE_LIMIT_PER_MINUTE', { fallback: 600, min: 0 }),
      maxQueryChars,
      maxInputChars,
      bodyLimitBytes: readByteSize(env, 'BODY_LIMIT', 1024 * 1024),
    },
    stream: readStreamConfig(env),
    http: readHttpConfig(env),
    redis: readRedisConfig(env),
    apiKeys: readList(env, 'API_KEYS'),
    corsOrigins: readList(env, 'CORS_ORIGINS'),
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}
