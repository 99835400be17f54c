import fc from 'fast-check';
import { Agent } from 'node:http';
import type { FuzzCase, FuzzTarget } from './fuzz/fuzz-case';
import { PROPERTIES } from './fuzz/fuzz-properties';
import { FuzzRunner } from './fuzz/fuzz-runner';
import { FuzzStats } from './fuzz/fuzz-stats';
import { judgeAnswer, streamProblem } from './fuzz/judge-answer';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { startApp, type RunningApp } from './support/start-app';

/** Reproduce a run with `FUZZ_SEED=<seed>`; fast-check prints seed and path on failure. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const REQUEST_TIMEOUT_MS = 5_000;
const KNOWN_STREAM_ID = 'fuzz-known-stream';
const KNOWN_CHAT_ID = 'fuzz-known-chat';

const APP_ENV = {
  MAX_QUERY_CHARS: '1000',
  MAX_INPUT_CHARS: '4000',
  LLM_MAX_TOKENS: '256',
  LLM_ALLOWED_MODELS: 'gpt-fake,gpt-other',
  BODY_LIMIT: '64kb',
  // Thousands of requests from one key in a minute are the point here, not abuse.
  RATE_LIMIT_PER_MINUTE: '0',
};

const CONFIGURATIONS: {
  name: string;
  env: Record<string, string>;
  runs: number;
  keys: string[];
  redis?: boolean;
}[] = [
  { name: 'no auth', env: {}, runs: RUNS, keys: [] },
  {
    name: 'API_KEYS',
    env: { API_KEYS: 'key-a,key-b' },
    runs: Math.ceil(RUNS * 0.4),
    keys: ['key-a', 'key-b'],
  },
  // Stream ids, chat aliases and cursors as Redis keys and ranges, instead of map keys.
  { name: 'REDIS_URL', env: {}, runs: Math.ceil(RUNS * 0.3), keys: [], redis: true },
];

describe.each(CONFIGURATIONS)(
  'fuzz with $name: bad input gets a 4xx, never a 5xx or an upstream call',
  ({ name, env, runs, keys, redis }) => {
    const upstream = new FakeOpenAIServer();
    let redisServer: RedisServer | undefined;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const stats = new FuzzStats();
    let service: RunningApp;
    let target: FuzzTarget;
    let runner: FuzzRunner;
    const authHeaders: Record<string, string> = keys[0]
      ? { authorization: `Bearer ${keys[0]}` }
      : {};

    beforeAll(async () => {
      redisServer = redis ? await RedisServer.start() : undefined;
      const redisEnv: Record<string, string> = redisServer ? { REDIS_URL: redisServer.url } : {};
      service = await startApp(
        openAiEnv(await upstream.start(), { ...APP_ENV, ...env, ...redisEnv }),
      );
      target = {
        authorization: authHeaders.authorization,
        otherAuthorization: keys[1] ? `Bearer ${keys[1]}` : undefined,
        knownStreamId: KNOWN_STREAM_ID,
        knownChatId: KNOWN_CHAT_ID,
        maxQueryChars: service.config.limits.maxQueryChars,
        maxInputChars: service.config.limits.maxInputChars,
        maxTokens: service.config.llm.maxTokens,
        allowedModels: service.config.llm.allowedModels,
        bodyLimitBytes: service.config.limits.bodyLimitBytes,
      };
      runner = new FuzzRunner({
        port: service.port,
        agent,
        upstream,
        stats,
        authHeaders,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      // A finished stream, for conflicting ids, attach with a bad Last-Event-ID, other keys.
      const known = await runner.send({
        label: 'setup',
        method: 'POST',
        path: '/api/chat/stream',
        headers: {
          ...authHeaders,
          'content-type': 'application/json',
          'x-request-id': KNOWN_STREAM_ID,
        },
        body: Buffer.from('{"query":"hi"}'),
        validity: 'valid',
      });
      expect(known.status).toBe(200);
      expect(streamProblem(known)).toBeUndefined();
      // A chat whose generation has finished: nothing to resume, a 409 to stop.
      const chat: FuzzCase = {
        label: 'setup',
        view: 'ui',
        method: 'POST',
        path: '/api/ui/chat',
        headers: { ...authHeaders, 'content-type': 'application/json' },
        body: Buffer.from(
          JSON.stringify({
            id: KNOWN_CHAT_ID,
            messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
          }),
        ),
        validity: 'valid',
      };
      expect(judgeAnswer(chat, await runner.send(chat))).toEqual({ outcome: 'stream' });
    });

    afterAll(async () => {
      console.log(stats.summary(name, SEED));
      agent.destroy();
      await service.close();
      await upstream.close();
      await redisServer?.stop();
    });

    it.each(PROPERTIES.map((property) => [property.name, property] as const))(
      `%s (FUZZ_SEED=${SEED})`,
      async (_name, property) => {
        const numRuns = Math.ceil(runs * property.share);
        const examples = (property.examples?.(target) ?? []).map((example): [FuzzCase] => [
          { ...example, headers: { ...authHeaders, ...example.headers } },
        ]);
        await fc.assert(fc.asyncProperty(property.cases(target), runner.check), {
          seed: SEED,
          numRuns,
          examples,
        });
      },
      120_000,
    );

    it('still answers /health/live, and no upstream call came in late', async () => {
      const callsBefore = upstream.requests.length;
      const live = await runner.send({
        label: 'health',
        method: 'GET',
        path: '/health/live',
        headers: {},
        validity: 'maybe-valid',
      });
      if (live.status !== 200) stats.crashes++;
      expect(live.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(upstream.requests.length - callsBefore).toBe(0);
    });
  },
);
