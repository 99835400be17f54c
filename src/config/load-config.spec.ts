import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  it('runs offline on the demo model with the contract defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.llm.provider).toBe('demo');
    expect(config.limits).toEqual({
      maxConcurrentStreams: 1000,
      maxStreamsPerKey: 100,
      streamStartsPerMinute: 600,
      maxQueryChars: 32_000,
      maxInputChars: 128_000,
      bodyLimitBytes: 1024 * 1024,
    });
    expect(config.stream).toMatchObject({
      heartbeatMs: 15_000,
      idleTimeoutMs: 60_000,
      ttlSeconds: 600,
      shutdownGraceMs: 10_000,
    });
    expect(config.llm.maxTokens).toBe(4096);
    expect(config.apiKeys).toEqual([]);
  });

  it('picks openai when a key is set, and reads lists and sizes', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-x',
      API_KEYS: ' a, b ,,c ',
      CORS_ORIGINS: 'https://x.example',
      BODY_LIMIT: '512kb',
      LLM_ALLOWED_MODELS: 'gpt-4o-mini,gpt-4o',
    });
    expect(config.llm.provider).toBe('openai');
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.limits.bodyLimitBytes).toBe(512 * 1024);
    expect(config.llm.allowedModels).toEqual(['gpt-4o-mini', 'gpt-4o']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LLM_PROVIDER: 'gemini' }, 'LLM_PROVIDER'],
    [{ LLM_PROVIDER: 'openai' }, 'OPENAI_API_KEY'],
    [{ LLM_PROVIDER: 'anthropic' }, 'ANTHROPIC_API_KEY'],
    [{ OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ HEARTBEAT_MS: '-5' }, 'HEARTBEAT_MS'],
    [{ MAX_CONCURRENT_STREAMS: '0' }, 'MAX_CONCURRENT_STREAMS'],
    [{ BODY_LIMIT: 'huge' }, 'BODY_LIMIT'],
    [{ LLM_STREAM_USAGE: 'maybe' }, 'LLM_STREAM_USAGE'],
    [{ LLM_ALLOWED_MODELS: 'a,b' }, 'LLM_ALLOWED_MODELS'],
    [{ MAX_QUERY_CHARS: '200', MAX_INPUT_CHARS: '100' }, 'MAX_QUERY_CHARS'],
    [{ STREAM_TTL_S: '30' }, 'STREAM_TTL_S'],
    [{ STREAM_TTL_S: '5', STREAM_IDLE_TIMEOUT_MS: '5001' }, 'STREAM_TTL_S'],
    [{ MEMORY_LOG_MAX_BYTES: '100gb' }, 'MEMORY_LOG_MAX_BYTES'],
  ])('rejects %j with one line naming %s', (env, variable) => {
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${variable} [^\\n]+$`));
  });
});
