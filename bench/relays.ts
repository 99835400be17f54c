import { openAiEnv } from '../test/support/openai-env';
import { NOOP_CALLBACK_PIPELINE } from './peers/peer-env';
import { AGENT_THROUGHPUT_PROMPT } from './scenarios/agent-throughput';
import type { RelaySpec } from './support/relay-process';

/** The keys the harness and the report look relays up by. */
export const RELAY = {
  openaiSdk: 'express-openai-sdk',
  fastPath: 'gateway-chat',
  fastPathRedis: 'gateway-chat-redis',
  viewOpenai: 'gateway-chat-v1',
  viewUi: 'gateway-chat-ui',
  viewHtmx: 'gateway-chat-htmx',
  noopCallback: 'gateway-chat-noop-callback',
  tracedUnsent: 'gateway-chat-traced-unsent',
  traced: 'gateway-chat-traced',
  agent: 'gateway-agent',
  baseline: 'gateway-chat-baseline',
} as const;

const PEERS = 'dist-bench/bench/peers';

export interface RelayPlanOptions {
  upstreamUrl: string;
  redisUrl: string;
  /** The fake LangSmith the traced relays send their runs to. */
  langsmithUrl: string;
  /** An older build of this service (`<dir>/dist/main.js`) measured in the same run. */
  baseline?: { dir: string; label: string };
}

/** Every relay the throughput scenario measures, peers first. */
export function benchRelays(options: RelayPlanOptions): RelaySpec[] {
  const gatewayEnv = openAiEnv(options.upstreamUrl, {
    MAX_CONCURRENT_STREAMS: '50000',
    LOG_LEVEL: 'error',
  });
  // LANGSMITH_TRACING makes LangChain configure its tracer for every run; the API key is only
  // checked by a real LangSmith, the fake takes any.
  const tracedEnv = {
    ...gatewayEnv,
    LANGSMITH_TRACING: 'true',
    LANGSMITH_ENDPOINT: options.langsmithUrl,
    LANGSMITH_API_KEY: 'bench-not-a-real-key',
  };
  const gateway = (spec: Omit<RelaySpec, 'gateway'>): RelaySpec => ({ ...spec, gateway: true });
  const relays: RelaySpec[] = [
    { key: 'raw-pipe', name: 'raw byte pipe (floor)', script: `${PEERS}/raw-pipe.js` },
    {
      key: RELAY.openaiSdk,
      name: 'Express + openai SDK',
      script: `${PEERS}/express-openai-sdk.js`,
    },
    {
      key: 'express-langchain',
      name: 'Express + LangChain, naive',
      script: `${PEERS}/express-langchain.js`,
    },
    { key: 'ai-sdk', name: 'Vercel AI SDK streamText', script: `${PEERS}/ai-sdk.js` },
    {
      key: 'nest-sse',
      name: 'NestJS @Sse() + LangChain',
      script: `${PEERS}/nest-sse.js`,
      method: 'GET',
    },
    gateway({
      key: RELAY.fastPath,
      name: 'gateway chat, fast path (log in memory)',
      script: 'dist/main.js',
      env: gatewayEnv,
    }),
    gateway({
      key: RELAY.fastPathRedis,
      name: 'gateway chat, fast path, log in Redis',
      script: 'dist/main.js',
      // An hour, not 600 s: streams of the first pass must not expire (and shrink Redis's memory)
      // while a later pass measures it. How long a stream is kept does not change its size.
      env: { ...gatewayEnv, REDIS_URL: options.redisUrl, STREAM_TTL_S: '3600' },
    }),
    gateway({
      key: RELAY.viewOpenai,
      name: 'gateway chat, fast path, OpenAI view /v1/chat/completions',
      script: 'dist/main.js',
      env: gatewayEnv,
      view: 'openai',
    }),
    gateway({
      key: RELAY.viewUi,
      name: 'gateway chat, fast path, AI SDK view /api/ui/chat',
      script: 'dist/main.js',
      env: gatewayEnv,
      view: 'ui',
    }),
    gateway({
      key: RELAY.viewHtmx,
      name: 'gateway chat, fast path, htmx view /htmx/chat',
      script: 'dist/main.js',
      env: gatewayEnv,
      view: 'htmx',
    }),
    gateway({
      key: RELAY.noopCallback,
      name: 'gateway chat, stream() + no-op callback',
      script: `${PEERS}/gateway-noop-callback.js`,
      env: gatewayEnv,
      bodyExtras: { pipeline: NOOP_CALLBACK_PIPELINE },
    }),
    gateway({
      key: RELAY.tracedUnsent,
      name: 'gateway chat, stream(), tracing on, nothing sent',
      script: 'dist/main.js',
      // The langsmith client drops every run before batching it: the tracer's work, no uploads.
      env: { ...tracedEnv, LANGSMITH_TRACING_SAMPLING_RATE: '0' },
    }),
    gateway({
      key: RELAY.traced,
      name: 'gateway chat, stream() (tracing on)',
      script: 'dist/main.js',
      env: tracedEnv,
    }),
    gateway({
      key: RELAY.agent,
      name: 'gateway agent (per answer token)',
      script: 'dist/main.js',
      env: gatewayEnv,
      bodyExtras: { pipeline: 'agent' },
      throughputPrompt: AGENT_THROUGHPUT_PROMPT,
      // Unnamed events only: the tool_result event has a "content" too.
      tokenMark: 'data: {"content":"',
    }),
  ];
  if (options.baseline) {
    relays.push(
      gateway({
        key: RELAY.baseline,
        name: `gateway chat, fast path, at ${options.baseline.label}`,
        script: `${options.baseline.dir}/dist/main.js`,
        env: gatewayEnv,
      }),
    );
  }
  return relays;
}
