/** The providers a deployment can pick with LLM_PROVIDER. */
export const LLM_PROVIDERS = ['demo', 'openai', 'anthropic', 'ollama'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** Typed, validated configuration. Built once at boot by `loadConfig`; nothing else reads env. */
export interface AppConfig {
  readonly port: number;
  readonly llm: {
    readonly provider: LlmProviderName;
    readonly model: string;
    readonly allowedModels: readonly string[];
    readonly openaiApiKey?: string;
    readonly openaiBaseUrl?: string;
    readonly anthropicApiKey?: string;
    /** Anthropic's API or a compatible endpoint (a gateway, or a local fake in tests). */
    readonly anthropicBaseUrl?: string;
    readonly ollamaBaseUrl: string;
    /** Send `stream_options.include_usage`; some OpenAI-compatible servers reject it. */
    readonly streamUsage: boolean;
    readonly maxRetries: number;
    readonly maxTokens: number;
    /** Milliseconds between tokens of the built-in demo model. */
    readonly demoTokenDelayMs: number;
  };
  readonly limits: {
    readonly maxConcurrentStreams: number;
    /** Running streams one API key may hold in this process (API_KEYS mode); 0: no limit. */
    readonly maxStreamsPerKey: number;
    /** Streams one API key may start per minute, across instances with Redis; 0: no limit. */
    readonly streamStartsPerMinute: number;
    readonly maxQueryChars: number;
    readonly maxInputChars: number;
    readonly bodyLimitBytes: number;
  };
  readonly stream: {
    readonly heartbeatMs: number;
    readonly idleTimeoutMs: number;
    readonly ttlSeconds: number;
    readonly shutdownGraceMs: number;
    readonly memoryLogMaxStreams: number;
    /** Characters of stored frames the memory log may hold; oldest finished streams go first. */
    readonly memoryLogMaxBytes: number;
    /** How long a client may stop reading before it counts as gone (see SseWriter). */
    readonly slowClientTimeoutMs: number;
  };
  /** Timeouts of the HTTP server (see `applyHttpServerSettings`). */
  readonly http: {
    /** From a request's first byte (or the connection's start) to the end of its headers. */
    readonly headersTimeoutMs: number;
    /** From a request's first byte to the end of its body; never bounds the response. */
    readonly requestTimeoutMs: number;
    /** How long an idle connection stays open after a response; above the proxy's own. */
    readonly keepAliveTimeoutMs: number;
  };
  readonly redisUrl?: string;
  readonly apiKeys: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** DI token for the AppConfig value. */
export const APP_CONFIG = Symbol('APP_CONFIG');
