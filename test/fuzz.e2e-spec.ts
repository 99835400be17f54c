import fc from 'fast-check';
import { Agent } from 'node:http';
import { anyFuzzCase } from './fuzz/any-fuzz-case';
import type { FuzzCase, FuzzTarget } from './fuzz/fuzz-case';
import { FuzzStats } from './fuzz/fuzz-stats';
import { type Judgement, judgeAnswer, streamProblem } from './fuzz/judge-answer';
import { type FuzzAnswer, sendFuzzRequest } from './fuzz/send-fuzz-request';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { startApp, type RunningApp } from './support/start-app';

/** Reproduce a run with `FUZZ_SEED=<seed>`; fast-check prints seed and path on failure. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const REQUEST_TIMEOUT_MS = 5_000;
const KNOWN_STREAM_ID = 'fuzz-known-stream';

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
}[] = [
  { name: 'no auth', env: {}, runs: RUNS, keys: [] },
  {
    name: 'API_KEYS',
    env: { API_KEYS: 'key-a,key-b' },
    runs: Math.ceil(RUNS * 0.4),
    keys: ['key-a', 'key-b'],
  },
];

function describeCase(fuzzCase: FuzzCase): string {
  const body = fuzzCase.body?.toString('utf8').slice(0, 200);
  return `[${fuzzCase.label}] ${fuzzCase.method} ${fuzzCase.path.slice(0, 200)} headers=${JSON.stringify(fuzzCase.headers).slice(0, 300)}${body === undefined ? '' : ` body=${JSON.stringify(body)}`}`;
}

describe.each(CONFIGURATIONS)(
  'fuzz with $name: bad input gets a 4xx, never a 5xx or an upstream call',
  ({ name, env, runs, keys }) => {
    const upstream = new FakeOpenAIServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const stats = new FuzzStats();
    let service: RunningApp;
    let target: FuzzTarget;

    const send = (fuzzCase: FuzzCase): Promise<FuzzAnswer> =>
      sendFuzzRequest({ port: service.port, agent, fuzzCase, timeoutMs: REQUEST_TIMEOUT_MS });
    const authHeaders = (): Record<string, string> =>
      target.authorization ? { authorization: target.authorization } : {};

    beforeAll(async () => {
      service = await startApp(openAiEnv(await upstream.start(), { ...APP_ENV, ...env }));
      target = {
        authorization: keys[0] ? `Bearer ${keys[0]}` : undefined,
        otherAuthorization: keys[1] ? `Bearer ${keys[1]}` : undefined,
        knownStreamId: KNOWN_STREAM_ID,
        maxQueryChars: service.config.limits.maxQueryChars,
        maxTokens: service.config.llm.maxTokens,
        allowedModels: service.config.llm.allowedModels,
        bodyLimitBytes: service.config.limits.bodyLimitBytes,
      };
      // A finished stream, for conflicting ids, attach with a bad Last-Event-ID, other keys.
      const known = await send({
        label: 'setup',
        method: 'POST',
        path: '/api/chat/stream',
        headers: {
          ...authHeaders(),
          'content-type': 'application/json',
          'x-request-id': KNOWN_STREAM_ID,
        },
        body: Buffer.from('{"query":"hi"}'),
        validity: 'maybe-valid',
      });
      expect(known.status).toBe(200);
      expect(streamProblem(known)).toBeUndefined();
    });

    afterAll(async () => {
      console.log(stats.summary(name, SEED));
      agent.destroy();
      await service.close();
      await upstream.close();
    });

    /** For a 202, reads the detached stream to its end, so its upstream call is this case's. */
    async function followAccepted(answer: FuzzAnswer): Promise<string | undefined> {
      const { streamUrl } = JSON.parse(answer.body) as { streamUrl: string };
      const followed = await send({
        label: 'attach',
        method: 'GET',
        path: streamUrl,
        headers: authHeaders(),
        validity: 'maybe-valid',
      });
      return followed.status === 200
        ? streamProblem(followed)
        : `attach answered ${followed.status}`;
    }

    let previous: { fuzzCase: FuzzCase; status: number; connection?: string } | undefined;

    async function check(fuzzCase: FuzzCase): Promise<void> {
      stats.cases++;
      if (fuzzCase.validity === 'invalid') stats.invalidCases++;
      const callsBefore = upstream.requests.length;
      let answer: FuzzAnswer;
      try {
        answer = await send(fuzzCase);
      } catch (error: unknown) {
        stats.crashes++;
        stats.failures++;
        const after = previous
          ? `, after ${describeCase(previous.fuzzCase)} -> ${previous.status} (connection: ${previous.connection})`
          : '';
        throw new Error(`${describeCase(fuzzCase)} -> no answer: ${String(error)}${after}`);
      }
      previous = { fuzzCase, status: answer.status, connection: answer.headers.connection };
      const judgement: Judgement = judgeAnswer(fuzzCase, answer);
      stats.record(judgement);
      let problem = judgement.problem;
      if (!problem && judgement.outcome === 'accepted') problem = await followAccepted(answer);
      const calls = upstream.requests.length - callsBefore;
      const valid = judgement.outcome === 'stream' || judgement.outcome === 'accepted';
      if (valid) stats.upstreamCallsOnValidInput += calls;
      else stats.upstreamCallsOnBadInput += calls;
      if (!problem && !valid && calls > 0)
        problem = `${calls} upstream call(s) for a ${answer.status}`;
      const allowed = fuzzCase.upstreamCallsAllowed ?? 1;
      if (!problem && calls > allowed)
        problem = `${calls} upstream call(s), at most ${allowed} expected`;
      if (problem) {
        stats.failures++;
        throw new Error(`${describeCase(fuzzCase)} -> ${answer.status}: ${problem}`);
      }
    }

    it(`${runs} generated requests across every route (FUZZ_SEED=${SEED})`, async () => {
      await fc.assert(fc.asyncProperty(anyFuzzCase(target), check), { seed: SEED, numRuns: runs });
    }, 120_000);

    it('still answers /health/live, and no upstream call came in late', async () => {
      const callsBefore = upstream.requests.length;
      const live = await send({
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
