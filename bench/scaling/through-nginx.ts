import {
  assertComplete,
  followStream,
  openStream,
  runStreams,
  type StreamOutcome,
} from './sse-load';
import { sampleProcesses } from './proc-probe';
import type { Stack } from './stack';

const TOKENS_PROMPT = 'scaling: tokens';
const SETUP_PROMPT = 'scaling: setup';

/** CPU of each process on the path, per token and per stream set-up, through nginx. */
export interface ThroughNginxResult {
  plan: { streams: number; tokens: number; gapMs: number; passes: number; setupStreams: number };
  /** Medians over the passes, µs of CPU per token relayed. */
  perToken: { nginx: number; app: number; redis: number; redisCommands: number };
  /**
   * What a second reader attached through the log (`GET /api/chat/streams/{id}`, one per stream)
   * adds per token of the stream it follows: a wake message, an XRANGE, a second response.
   */
  perFollowedToken: { nginx: number; app: number; redis: number; xrange: number };
  /** µs of CPU per 2-token stream (connect, request, headers, two tokens, end, close). */
  perSetupStream: { nginx: number; app: number; redis: number; redisCommands: number };
  samples: { nginx: number[]; app: number[]; redis: number[] };
}

interface Costs {
  nginx: number;
  app: number;
  redis: number;
  redisCommands: number;
  /** XRANGE calls: only readers that follow through the log make them. */
  xrange: number;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function costOf(stack: Stack, run: () => Promise<void>, units: number): Promise<Costs> {
  const read = async (): Promise<Costs> => ({
    nginx: sampleProcesses(stack.nginxWorkers).cpuMicros,
    app: sampleProcesses([stack.appPid]).cpuMicros,
    redis: sampleProcesses([stack.redis.pid]).cpuMicros,
    redisCommands: await stack.redis.info('stats', 'total_commands_processed'),
    xrange: await stack.redis.calls('xrange'),
  });
  const before = await read();
  await run();
  // Writes batched for the next tick and closes still under way belong to this load.
  await sleep(500);
  const after = await read();
  return {
    nginx: (after.nginx - before.nginx) / units,
    app: (after.app - before.app) / units,
    redis: (after.redis - before.redis) / units,
    // The INFO calls of the first reading are commands too.
    redisCommands: (after.redisCommands - before.redisCommands - 2) / units,
    xrange: (after.xrange - before.xrange) / units,
  };
}

export async function measureThroughNginx(
  stack: Stack,
  quick: boolean,
): Promise<ThroughNginxResult> {
  const plan = {
    streams: quick ? 100 : 200,
    tokens: quick ? 50 : 100,
    gapMs: 10,
    passes: quick ? 2 : 4,
    setupStreams: quick ? 400 : 2000,
  };
  stack.upstream.script(TOKENS_PROMPT, {
    tokens: Array.from({ length: plan.tokens }, (_, index) => `w${index} `),
    delayMs: plan.gapMs,
  });
  stack.upstream.script(SETUP_PROMPT, { tokens: ['a ', 'b '] });
  const load = async (): Promise<void> =>
    assertComplete(
      'tokens through nginx',
      await runStreams(stack.nginx.url, TOKENS_PROMPT, plan.streams, plan.streams),
      plan.tokens,
    );
  let run = 0;
  const followed = async (): Promise<void> => {
    run++;
    const outcomes: Promise<StreamOutcome>[] = [];
    for (let index = 0; index < plan.streams; index++) {
      const id = `scaling-${run}-${index}`;
      outcomes.push(
        openStream(
          stack.nginx.url,
          TOKENS_PROMPT,
          () => {
            outcomes.push(followStream(stack.nginx.url, id));
          },
          id,
        ),
      );
    }
    // Followers are pushed as their streams start: wait for the posts, then for all.
    await Promise.all(outcomes.slice(0, plan.streams));
    assertComplete('followed tokens through nginx', await Promise.all(outcomes), plan.tokens);
    if (outcomes.length !== plan.streams * 2) throw new Error('a followed stream had no follower');
  };
  await load(); // warm-up at full size, both ways
  await followed();
  // Interleaved, so a change in what else the machine does hits both alike.
  const passes: Costs[] = [];
  const followedPasses: Costs[] = [];
  for (let pass = 0; pass < plan.passes; pass++) {
    passes.push(await costOf(stack, load, plan.streams * plan.tokens));
    followedPasses.push(await costOf(stack, followed, plan.streams * plan.tokens));
  }
  const setup = await costOf(
    stack,
    async () =>
      assertComplete(
        'setup through nginx',
        await runStreams(stack.nginx.url, SETUP_PROMPT, plan.setupStreams, 50),
        2,
      ),
    plan.setupStreams,
  );
  const median = (key: keyof Costs, of = passes): number => medianOf(of.map((pass) => pass[key]));
  const added = (key: keyof Costs): number => median(key, followedPasses) - median(key);
  return {
    plan,
    perToken: {
      nginx: median('nginx'),
      app: median('app'),
      redis: median('redis'),
      redisCommands: median('redisCommands'),
    },
    perFollowedToken: {
      nginx: added('nginx'),
      app: added('app'),
      redis: added('redis'),
      // Counted, not a difference: the plain passes make none.
      xrange: median('xrange', followedPasses),
    },
    perSetupStream: setup,
    samples: {
      nginx: passes.map((pass) => pass.nginx),
      app: passes.map((pass) => pass.app),
      redis: passes.map((pass) => pass.redis),
    },
  };
}
