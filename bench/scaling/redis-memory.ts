import { assertComplete, runStreams } from './sse-load';
import type { Stack } from './stack';

/** Redis memory a finished stream holds until STREAM_TTL_S lapses, for one stream length. */
export interface FinishedStreamMemory {
  tokens: number;
  streams: number;
  /** used_memory after − before, per stream. */
  usedMemoryBytesPerStream: number;
  /** Keys each finished stream leaves (events + meta on the native route). */
  keysPerStream: number;
  /** MEMORY USAGE of one stream's keys. */
  eventsKeyBytes: number;
  metaKeyBytes: number;
  /** Seconds left on that events key right after the stream ended (≈ STREAM_TTL_S). */
  ttlSeconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measureLength(
  stack: Stack,
  tokens: number,
  streams: number,
): Promise<FinishedStreamMemory> {
  const prompt = `scaling: kept ${tokens}`;
  stack.upstream.script(prompt, {
    tokens: Array.from({ length: tokens }, (_, index) => `w${index} `),
    delayMs: 2,
  });
  const redis = stack.redis.client;
  const before = new Set(await redis.keys('sg:{*}:events'));
  await sleep(300);
  const usedBefore = await stack.redis.info('memory', 'used_memory');
  const keysBefore = await redis.dbsize();
  assertComplete(
    `kept ${tokens}`,
    await runStreams(stack.nginx.url, prompt, streams, streams),
    tokens,
  );
  await sleep(500);
  const usedAfter = await stack.redis.info('memory', 'used_memory');
  const keysAfter = await redis.dbsize();
  const fresh = (await redis.keys('sg:{*}:events')).find((key) => !before.has(key));
  if (!fresh) throw new Error('no new events key after the streams');
  const metaKey = fresh.replace(/:events$/, ':meta');
  const usage = async (key: string): Promise<number> =>
    Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  return {
    tokens,
    streams,
    usedMemoryBytesPerStream: (usedAfter - usedBefore) / streams,
    keysPerStream: (keysAfter - keysBefore) / streams,
    eventsKeyBytes: await usage(fresh),
    metaKeyBytes: await usage(metaKey),
    ttlSeconds: await redis.ttl(fresh),
  };
}

/** Two stream lengths, so the doc can take bytes per stream as fixed part + per token. */
export async function measureFinishedStreams(
  stack: Stack,
  quick: boolean,
): Promise<FinishedStreamMemory[]> {
  return [
    await measureLength(stack, 100, quick ? 100 : 500),
    // Fewer: 1,000 tokens each is a long load on a 2-core machine.
    await measureLength(stack, 1000, quick ? 30 : 100),
  ];
}
