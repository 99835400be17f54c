import Redis from 'ioredis';
import type { Server, Socket } from 'node:net';
import { AbortService } from '../../src/abort/abort.service';
import { ShutdownState } from '../../src/lifecycle/shutdown-state';
import { StreamAdmission } from '../../src/lifecycle/stream-admission';
import { activeTimers } from './leak-probe';
import type { RunningApp } from './start-app';

/** What a finished soak may have left behind in the app, counted. */
export interface Leftovers {
  runningStreams: number;
  admissionTickets: number;
  /** Referenced timers in the process. */
  timers: number;
  /** Abort listeners on the process-wide shutdown signal (one per attached reader while it reads). */
  shutdownListeners: number;
  /** The most listeners of each kind on any open socket of the app. */
  socketListeners: Record<'close' | 'drain' | 'end' | 'error', number>;
  /** Redis pub/sub channels of streams still subscribed (`sg:{…}:wake`); 0 without Redis. */
  wakeChannels: number;
}

/** Watches the app's server for connections, so their listeners can be counted. */
export function trackSockets(service: RunningApp): Set<Socket> {
  const sockets = new Set<Socket>();
  (service.app.getHttpServer() as Server).on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Connections that carried a request. A fetch aborted while connecting can leave a connected
 * socket that never sends a byte; Node counts it active (not idle) until HTTP_HEADERS_TIMEOUT_MS,
 * and it holds nothing of the app, so it is not a leftover of a stream.
 */
export function requestSockets(sockets: Set<Socket>): number {
  return [...sockets].filter((socket) => socket.bytesRead > 0).length;
}

export async function countLeftovers(
  service: RunningApp,
  sockets: Set<Socket>,
  redisUrl: string | undefined,
): Promise<Leftovers> {
  const socketListeners = { close: 0, drain: 0, end: 0, error: 0 };
  for (const socket of sockets) {
    for (const event of ['close', 'drain', 'end', 'error'] as const) {
      socketListeners[event] = Math.max(socketListeners[event], socket.listenerCount(event));
    }
  }
  return {
    runningStreams: service.app.get(AbortService).runningCount,
    admissionTickets: service.app.get(StreamAdmission).admittedCount,
    timers: activeTimers(),
    shutdownListeners: service.app.get(ShutdownState).readerCount,
    socketListeners,
    wakeChannels: redisUrl ? await wakeChannels(redisUrl) : 0,
  };
}

/** Keys of streams (`sg:{…}:events`, `sg:{…}:meta`) still in Redis; SCAN skips expired ones. */
export function streamKeysInRedis(redisUrl: string): Promise<number> {
  return withRedis(redisUrl, async (redis) => {
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'sg:{*', 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  });
}

function wakeChannels(redisUrl: string): Promise<number> {
  return withRedis(redisUrl, async (redis) => {
    const channels = (await redis.call('PUBSUB', 'CHANNELS', 'sg:{*')) as string[];
    return channels.length;
  });
}

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
