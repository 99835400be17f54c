import { RunnableSequence } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { chainPipeline } from './support/chain-pipeline';
import { FakeLangSmithServer, flushTraces } from './support/fake-langsmith-server';
import { FakeOpenAIServer, type FakeScenario } from './support/fake-openai-server';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { dataOf, endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

/**
 * The gateway streams a bare chat model from its own `_streamResponseChunks` only when that is
 * provably what `stream()` would do (`canStreamDirectly`). Here the same upstream script goes
 * through all three ways a model's output can reach a client, and the client must not be able to
 * tell them apart: the raw SSE bytes are identical once `createdAt` is normalised.
 * - fast: the `chat` pipeline with nothing to call back or trace;
 * - stream(): the `chat` pipeline with LangSmith tracing on (to a fake LangSmith), which gives
 *   the run a handler, so the gateway must use the public `stream()`;
 * - streamEvents: the same model behind a passthrough step, an LCEL chain.
 * Spies on the real classes, and the trace at the fake, prove which way each one went.
 */
type Path = 'fast' | 'stream' | 'streamEvents';
const PATHS: Path[] = ['fast', 'streamEvents', 'stream'];

interface EquivalenceCase {
  name: string;
  scenario: FakeScenario;
  /** What a user must see on every path (so identical output cannot be identically wrong). */
  text: string;
  end: string;
}

const CASES: EquivalenceCase[] = [
  {
    name: 'multibyte tokens split across TCP writes, then usage',
    scenario: {
      tokens: ['Grüße', ' aus ', '東京', ' – ', 'naïve ', '🙂', '!'],
      splitMultibyte: true,
      delayMs: 60,
      usage: { prompt_tokens: 17, completion_tokens: 7 },
    },
    text: 'Grüße aus 東京 – naïve 🙂!',
    end: 'stop',
  },
  {
    name: 'finish_reason length',
    scenario: { tokens: ['one ', 'two ', 'thr'], finishReason: 'length', delayMs: 5 },
    text: 'one two thr',
    end: 'length',
  },
  {
    name: 'an upstream connection reset mid-stream',
    scenario: { tokens: ['partial ', 'answer ', 'never', ' sent'], resetAfter: 2, delayMs: 5 },
    text: 'partial answer ',
    end: 'error',
  },
];

/** How many times each way in was taken while one request streamed. */
interface PathCalls {
  stream: number;
  streamEvents: number;
  streamResponseChunks: number;
  chainRuns: number;
}

const EXPECTED_CALLS: Record<Path, PathCalls> = {
  fast: { stream: 0, streamEvents: 0, streamResponseChunks: 1, chainRuns: 0 },
  stream: { stream: 1, streamEvents: 0, streamResponseChunks: 1, chainRuns: 0 },
  streamEvents: { stream: 0, streamEvents: 1, streamResponseChunks: 1, chainRuns: 1 },
};

const normalise = (raw: string): string =>
  raw.replace(/"createdAt":"[^"]*"/g, '"createdAt":"<createdAt>"');

// One for the whole file: LangChain's LangSmith client reads the endpoint once, when first made.
const langsmith = new FakeLangSmithServer();

beforeAll(async () => {
  for (const name of ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGCHAIN_VERBOSE']) {
    delete process.env[name];
  }
  process.env.LANGSMITH_ENDPOINT = await langsmith.start();
});

afterAll(async () => {
  await flushTraces();
  await langsmith.close();
});

describe.each(['memory', 'redis'] as const)('fast path equivalence (%s log)', (logMode) => {
  const upstream = new FakeOpenAIServer();
  const chain = chainPipeline();
  const apps = new Map<Path, RunningApp>();
  let redis: RedisServer | undefined;
  let spies: Record<'stream' | 'streamResponseChunks' | 'streamEvents', jest.SpyInstance>;

  beforeAll(async () => {
    spies = {
      stream: jest.spyOn(ChatOpenAI.prototype, 'stream'),
      streamResponseChunks: jest.spyOn(ChatOpenAI.prototype, '_streamResponseChunks'),
      streamEvents: jest.spyOn(RunnableSequence.prototype, 'streamEvents'),
    };
    const baseUrl = await upstream.start();
    if (logMode === 'redis') redis = await RedisServer.start();
    // One app per path: the three streams share one X-Request-Id, which a log holds only once.
    for (const [index, path] of PATHS.entries()) {
      const env = openAiEnv(baseUrl, redis ? { REDIS_URL: `${redis.url}/${index}` } : {});
      apps.set(path, await startApp(env, { pipelines: [chain] }));
    }
  });

  afterAll(async () => {
    for (const spy of Object.values(spies)) spy.mockRestore();
    await flushTraces();
    for (const app of apps.values()) await app.close();
    await redis?.stop();
    await upstream.close();
  });

  /** Streams the prompt the given way; returns what the client saw, live and replayed. */
  async function run(path: Path, prompt: string, requestId: string) {
    for (const spy of Object.values(spies)) spy.mockClear();
    const chainRunsBefore = chain.runs;
    const app = apps.get(path) as RunningApp;
    const body = { query: prompt, ...(path === 'streamEvents' ? { pipeline: chain.name } : {}) };
    if (path === 'stream') process.env.LANGSMITH_TRACING = 'true';
    let live: StreamResult;
    try {
      live = await readStream(`${app.url}/api/chat/stream`, {
        body,
        headers: { 'x-request-id': requestId },
      });
    } finally {
      delete process.env.LANGSMITH_TRACING;
    }
    const calls: PathCalls = {
      stream: spies.stream.mock.calls.length,
      streamEvents: spies.streamEvents.mock.calls.length,
      streamResponseChunks: spies.streamResponseChunks.mock.calls.length,
      chainRuns: chain.runs - chainRunsBefore,
    };
    const replay = await readStream(`${app.url}/api/chat/streams/${requestId}`, { method: 'GET' });
    return { live, replay, calls };
  }

  it.each(CASES)(
    '$name: the same bytes on the fast path, via stream() and via streamEvents',
    async (testCase) => {
      const prompt = `${logMode}: ${testCase.name}`;
      const requestId = `equivalence-${logMode}-${CASES.indexOf(testCase)}`;
      upstream.script(prompt, testCase.scenario);

      const seen = new Map<Path, Awaited<ReturnType<typeof run>>>();
      for (const path of PATHS) seen.set(path, await run(path, prompt, requestId));

      for (const path of PATHS) {
        const { live, replay, calls } = seen.get(path)!;
        expect({ path, calls }).toEqual({ path, calls: EXPECTED_CALLS[path] });
        expect(live.status).toBe(200);
        // The log holds exactly what was sent live.
        expect(replay.raw).toBe(live.raw);
      }
      const fast = seen.get('fast')!.live;
      expect(normalise(seen.get('stream')!.live.raw)).toBe(normalise(fast.raw));
      expect(normalise(seen.get('streamEvents')!.live.raw)).toBe(normalise(fast.raw));

      // ...and what they all sent is right.
      expect(tokenText(fast)).toBe(testCase.text);
      expect(endReason(fast)).toBe(testCase.end);
      expect(fast.raw.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(upstream.requestsFor(prompt)).toHaveLength(PATHS.length);

      // Only the stream() request was traced: one model run, tagged with the request id.
      const traced = await langsmith.waitForRuns('the traced run, ended', (runs) =>
        runs.some((r) => r.tags?.includes(`request:${requestId}`) && r.end_time !== undefined),
      );
      const ofRequest = traced.filter((r) => r.tags?.includes(`request:${requestId}`));
      expect(ofRequest).toHaveLength(1);
      expect(ofRequest[0]).toMatchObject({
        name: 'llm-stream-gateway:chat',
        run_type: 'llm',
        extra: { metadata: { requestId, pipeline: 'chat' } },
      });
      expect(Boolean(ofRequest[0].error)).toBe(testCase.end === 'error');
    },
  );

  it('streams tokens as they come on every path (none buffers the answer)', async () => {
    const testCase = CASES[0];
    const prompt = `${logMode}: timing`;
    upstream.script(prompt, testCase.scenario);
    const gaps = testCase.scenario.tokens.length - 1;
    for (const path of PATHS) {
      const { live } = await run(path, prompt, `equivalence-${logMode}-timing`);
      const tokens = live.events.filter((event) => event.event === undefined && event.id);
      expect(tokens).toHaveLength(testCase.scenario.tokens.length);
      // The upstream spaces its tokens 60 ms apart: 360 ms from first to last.
      expect(tokens.at(-1)!.at - tokens[0].at).toBeGreaterThan((gaps * 60) / 2);
      expect(dataOf(live, 'usage')).toEqual([
        { inputTokens: 17, outputTokens: 7, totalTokens: 24 },
      ]);
    }
  });
});
