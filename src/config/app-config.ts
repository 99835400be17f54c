/** The providers a deployment can pick with LLM_PROVIDER. */
export const LLM_PROVIDERS = ['demo', 'openai', 'anthropic', 'ollama'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * One Redis server (`REDIS_URL=redis://…`), or a Redis Cluster (`REDIS_CLUSTER_NODES=host:port,…`
 * or `REDIS_URL=redis+cluster://host:port,…`): in cluster mode live-tail wake-ups and cancels go
 * through sharded pub/sub, so they reach one node rather than every node.
 */
export type RedisConfig =
  | { readonly mode: 'single'; readonly url: string }
  | {
      readonly mode: 'cluster';
      /** Startup nodes: any reachable one tells the client the rest of the cluster. */
      readonly nodes: readonly RedisNodeAddress[];
      readonly tls: boolean;
      readonly username?: string;
      readonly password?: string;
    };

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
  /** Where the stream log, cancel bus and rate limits live; undefined: in this process's memory. */
  readonly redis?: RedisConfig;
  readonly apiKeys: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** DI token for the AppConfig value. */
export const APP_CONFIG = Symbol('APP_CONFIG');
