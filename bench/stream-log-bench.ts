/**
 * Issue 2/4 measurements: the cost of the stream log. Run with `npm run bench:log`.
 * - CPU per relayed token, log in memory vs in Redis (same load, same run);
 * - replay latency of a finished 1,000-event stream, memory and Redis (p50/p99);
 * - Redis memory per finished 1,000-token stream.
 * The relay runs as its own process (dist/main.js); CPU is read from its /proc entry.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startAppProcess, type AppProcess } from '../test/support/app-process';
import { FakeOpenAIServer } from '../test/support/fake-openai-server';
import { openAiEnv } from '../test/support/openai-env';
import { RedisServer } from '../test/support/redis-server';
import { readStream } from '../test/support/sse-client';
import { processCpuMicros } from './support/proc-cpu';
import { percentile, round } from './support/stats';

const quick = process.argv.includes('--quick');
const STREAMS = quick ? 50 : 200;
const TOKENS = quick ? 100 : 200;
const GAP_MS = 5;
const REPLAYS = quick ? 30 : 100;

async function relayLoad(app: AppProcess, prompt: string): Promise<number> {
  const before = processCpuMicros(app.child.pid ?? 0);
  const results = await Promise.all(
    Array.from({ length: STREAMS }, () =>
      readStream(`${app.url}/api/chat/stream`, { body: { query: prompt } }),
    ),
  );
  const cpu = processCpuMicros(app.child.pid ?? 0) - before;
  const tokens = results.reduce(
    (sum, result) => sum + result.events.filter((event) => event.id && !event.event).length,
    0,
  );
  if (tokens !== STREAMS * TOKENS)
    throw new Error(`relayed ${tokens} tokens, expected ${STREAMS * TOKENS}`);
  return cpu / tokens;
}

async function replayLatency(
  app: AppProcess,
  prompt: string,
): Promise<{ p50: number; p99: number }> {
  const id = `replay-${prompt.length}-${Date.now()}`;
  await readStream(`${app.url}/api/chat/stream`, {
    body: { query: prompt },
    headers: { 'x-request-id': id },
  });
  const samples: number[] = [];
  for (let run = 0; run < REPLAYS; run++) {
    const result = await readStream(`${app.url}/api/chat/streams/${id}`, { method: 'GET' });
    // start, 1,000 tokens, usage, end, [DONE]
    if (result.events.length !== 1004) throw new Error(`replayed ${result.events.length} events`);
    samples.push(result.endedAt);
  }
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)) };
}

async function main(): Promise<void> {
  const upstream = new FakeOpenAIServer();
  const baseUrl = await upstream.start();
  upstream.script('load', {
    tokens: Array.from({ length: TOKENS }, (_, i) => `w${i} `),
    delayMs: GAP_MS,
  });
  upstream.script('thousand', { tokens: Array.from({ length: 1000 }, (_, i) => `t${i} `) });
  const redis = await RedisServer.start();
  const env = openAiEnv(baseUrl, { LOG_LEVEL: 'error' });
  const memoryApp = await startAppProcess(env);
  const redisApp = await startAppProcess({ ...env, REDIS_URL: redis.url });
  try {
    // Warm both up (JIT, connection pools) before measuring.
    await relayLoad(memoryApp, 'load');
    await relayLoad(redisApp, 'load');
    const cpuMemory = await relayLoad(memoryApp, 'load');
    const cpuRedis = await relayLoad(redisApp, 'load');
    const replayMemory = await replayLatency(memoryApp, 'thousand');
    const replayRedis = await replayLatency(redisApp, 'thousand');
    const client = new Redis(redis.url);
    const id = 'memory-probe';
    await readStream(`${redisApp.url}/api/chat/stream`, {
      body: { query: 'thousand' },
      headers: { 'x-request-id': id },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const eventsBytes = Number(
      await client.call('MEMORY', 'USAGE', `sg:{${id}}:events`, 'SAMPLES', '0'),
    );
    const metaBytes = Number(await client.call('MEMORY', 'USAGE', `sg:{${id}}:meta`));
    await client.quit();
    const result = {
      when: new Date().toISOString(),
      load: { streams: STREAMS, tokensPerStream: TOKENS, gapMs: GAP_MS },
      cpuMicrosPerToken: {
        memoryLog: round(cpuMemory),
        redisLog: round(cpuRedis),
        redisOverMemory: round(cpuRedis / cpuMemory),
      },
      replay1000EventsMs: { memory: replayMemory, redis: replayRedis },
      redisBytesPerFinished1000TokenStream: eventsBytes + metaBytes,
    };
    writeFileSync(
      join(process.cwd(), 'bench', 'results', 'stream-log.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.all([memoryApp.stop(), redisApp.stop()]);
    await redis.stop();
    await upstream.close();
  }
}

void main();
