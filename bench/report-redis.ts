import type { BenchResults } from './bench-results';
import type { RedisCost } from './support/redis-info';
import { round } from './support/stats';

function row(label: string, where: string, cost: RedisCost | undefined): string {
  if (!cost) return `| ${label} | \`${where}\` | not measured | | | | | | |`;
  const calls = Object.entries(cost.callsPerStream)
    .sort((a, b) => b[1] - a[1])
    .map(([name, perStream]) => `${name} ${perStream}`)
    .join(', ');
  return `| ${label} | \`${where}\` | ${cost.streams} | ${cost.commandsPerToken ?? '–'} | ${cost.commandsPerStream} | ${cost.netInputBytesPerToken ?? '–'} | ${cost.netInputBytesPerStream} | ${round(cost.memoryBytesPerStream / 1024, 1)} | ${calls} |`;
}

/**
 * Fixed and per-token parts of the Redis-log relay's commands, from the ramped load (many tokens
 * per stream) and the setup (2 per stream): commands ≈ perStream × streams + perToken × tokens.
 */
function fit(results: BenchResults): string {
  const { ramped, setup } = results.redis ?? {};
  if (!ramped?.tokens || !setup?.tokens) return '';
  const tokensPerLong = ramped.tokens / ramped.streams;
  const tokensPerShort = setup.tokens / setup.streams;
  const perToken =
    (ramped.commandsPerStream - setup.commandsPerStream) / (tokensPerLong - tokensPerShort);
  const perStream = setup.commandsPerStream - perToken * tokensPerShort;
  const bytesPerToken =
    (ramped.netInputBytesPerStream - setup.netInputBytesPerStream) /
    (tokensPerLong - tokensPerShort);
  const bytesPerStream = setup.netInputBytesPerStream - bytesPerToken * tokensPerShort;
  const memoryPerToken =
    (ramped.memoryBytesPerStream - setup.memoryBytesPerStream) / (tokensPerLong - tokensPerShort);
  const memoryPerStream = setup.memoryBytesPerStream - memoryPerToken * tokensPerShort;
  return `Fitted from the ramped load (${tokensPerLong} tokens per stream) and the setup streams (${tokensPerShort}): **Redis commands ≈ ${round(perStream, 1)} per stream + ${round(perToken, 3)} per token**; bytes sent to Redis ≈ ${round(bytesPerStream)} per stream + ${round(bytesPerToken, 1)} per token; Redis memory of a finished stream ≈ ${round(memoryPerStream, 0)} bytes + ${round(memoryPerToken, 1)} per token (at these sizes a finished stream's Redis memory hardly depends on its token count; the cause is not investigated here), held for \`STREAM_TTL_S\`.`;
}

/** What the Redis-log relay costs Redis: for docs/SCALING.md's sizing. */
export function redisSection(results: BenchResults): string {
  const redis = results.redis ?? {};
  return `## What the Redis log costs Redis

Read from Redis itself (\`INFO everything\`: \`total_commands_processed\`, \`total_net_input_bytes\`,
\`used_memory\`, \`commandstats\`) before and after each load of the Redis-log relay
(\`gateway-chat-redis\`, the last pass's loads), so only that relay's work is counted. Memory per
finished stream is \`used_memory\` after minus before: what Redis keeps of each finished stream for
\`STREAM_TTL_S\` (the bench sets 3600 s so nothing expires mid-run; the size does not depend on it).
Memory per running stream is read at the open-streams plateau (a few of each stream's tokens
written so far).

| load | where in latest.json | streams | commands per token | commands per stream | bytes to Redis per token | bytes to Redis per stream | Redis memory per stream (KB) | calls per stream |
|---|---|---:|---:|---:|---:|---:|---:|---|
${row(`ramped, ${results.plan.tokens} tokens per stream, finished`, 'redis.ramped', redis.ramped)}
${row(`burst, ${results.plan.tokens} tokens per stream, finished`, 'redis.burst', redis.burst)}
${row('setup, 2 tokens per stream, finished', 'redis.setup', redis.setup)}
${row(`open streams, running (at the plateau)`, 'redis.openRunning', redis.openRunning)}
${row(`open streams, ${results.plan.slowTokens} tokens each, finished`, 'redis.openFinished', redis.openFinished)}

${fit(results)}`;
}
