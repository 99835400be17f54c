import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startPlainRedis, type PlainRedis } from './plain-redis';
import { cpuMicros } from './proc-probe';

export interface FanoutRow {
  command: 'PUBLISH' | 'SPUBLISH';
  /** Subscriber connections, each subscribed to every channel (one per reading instance). */
  readers: number;
  channels: number;
  published: number;
  /** Redis CPU per publish, µs (the node is single-threaded: 1e6 / this = publishes per core-second). */
  redisCpuMicrosPerPublish: number;
  /** Redis CPU per delivered message, µs (readers ≥ 1). */
  redisCpuMicrosPerDelivery: number | null;
  publishedPerSecond: number;
  deliveredPerSecond: number;
}

const CHUNK = 1000;
const PAYLOAD = '12345'; // what the gateway publishes: the last event id

const resp = (...args: string[]): string =>
  `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Bytes of one delivered push frame (RESP2) for `channel`. */
function frameBytes(kind: string, channel: string): number {
  return Buffer.byteLength(resp(kind, channel, PAYLOAD));
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`fan-out: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function measure(
  redis: PlainRedis,
  command: 'PUBLISH' | 'SPUBLISH',
  readers: number,
  channelCount: number,
  published: number,
): Promise<FanoutRow> {
  const sharded = command === 'SPUBLISH';
  const channels = Array.from({ length: channelCount }, () => `sg:{${randomUUID()}}:wake`);
  const subscribers = await Promise.all(Array.from({ length: readers }, () => open(redis.port)));
  const received = subscribers.map(() => 0);
  subscribers.forEach((socket, index) =>
    socket.on('data', (data: Buffer) => (received[index] += data.length)),
  );
  for (const socket of subscribers) {
    socket.write(resp(sharded ? 'SSUBSCRIBE' : 'SUBSCRIBE', ...channels));
  }
  const last = channels[channels.length - 1];
  await until(async () => {
    const reply = (await redis.client.call('PUBSUB', sharded ? 'SHARDNUMSUB' : 'NUMSUB', last)) as (
      | string
      | number
    )[];
    return Number(reply[1]) === readers;
  }, 'subscriptions');
  // Confirmations have arrived once NUMSUB counts them; wait for their bytes to land too.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const base = [...received];
  const kind = sharded ? 'smessage' : 'message';
  let expectedPerReader = 0;
  const publisher = await open(redis.port);
  let replies = 0;
  publisher.on('data', (data: Buffer) => {
    for (let i = 0; i < data.length; i++) if (data[i] === 10) replies++;
  });
  const cpuBefore = cpuMicros(redis.pid);
  const started = performance.now();
  for (let sent = 0; sent < published; sent += CHUNK) {
    let text = '';
    for (let i = sent; i < Math.min(published, sent + CHUNK); i++) {
      const channel = channels[i % channels.length];
      text += resp(command, channel, PAYLOAD);
      expectedPerReader += frameBytes(kind, channel);
    }
    publisher.write(text);
    const target = Math.min(published, sent + CHUNK);
    await until(() => replies >= target, 'publish replies');
  }
  await until(
    () => received.every((bytes, index) => bytes - base[index] >= expectedPerReader),
    'deliveries',
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMicros(redis.pid) - cpuBefore;
  for (const socket of [publisher, ...subscribers]) socket.destroy();
  return {
    command,
    readers,
    channels: channelCount,
    published,
    redisCpuMicrosPerPublish: cpu / published,
    redisCpuMicrosPerDelivery: readers > 0 ? cpu / (published * readers) : null,
    publishedPerSecond: published / seconds,
    deliveredPerSecond: (published * readers) / seconds,
  };
}

/**
 * The wake fan-out: one publish per append batch of a stream, delivered to every connection
 * subscribed to that stream's channel (one per instance with a live reader of it).
 */
export async function measureFanout(quick: boolean): Promise<FanoutRow[]> {
  const redis = await startPlainRedis();
  const published = quick ? 40_000 : 200_000;
  const plan: ['PUBLISH' | 'SPUBLISH', number][] = [
    ['PUBLISH', 0],
    ['PUBLISH', 1],
    ['PUBLISH', 2],
    ['PUBLISH', 8],
    ['PUBLISH', 32],
    ['SPUBLISH', 0],
    ['SPUBLISH', 1],
    ['SPUBLISH', 8],
  ];
  try {
    const rows: FanoutRow[] = [];
    for (const [command, readers] of plan) {
      rows.push(await measure(redis, command, readers, 1000, published));
    }
    return rows;
  } finally {
    await redis.stop();
  }
}
