import {
  LATEST_JSON,
  SCALING_JSON,
  type Figure,
  type FigureBook,
  type Origin,
} from './figure-book';

const REDIS_RELAY = 'gateway-chat-redis';
const MEMORY_RELAY = 'gateway-chat';

const latest = (path: string, scenario: string, row?: string, scale?: number): Origin => ({
  file: LATEST_JSON,
  path,
  scenario,
  row,
  scale,
});
const scaling = (path: string, scenario: string, row?: string): Origin => ({
  file: SCALING_JSON,
  path,
  scenario,
  row,
});

const KB = 1024;
const ROW_REDIS = 'gateway chat, fast path, log in Redis';
const ROW_MEMORY = 'gateway chat, fast path (log in memory)';

/** The measured figures the sizing uses, each from its bench scenario. */
export interface SizingFigures {
  appTokenRamped: Figure;
  appTokenBurst: Figure;
  appTokenMemoryLog: Figure;
  appSetup: Figure;
  appFollow: Figure;
  appRss: Figure;
  appHeap: Figure;
  appOpenVerified: Figure;
  appOpenLagP99: Figure;
  appFds: Figure;
  redisFds: Figure;
  redisClients: Figure;
  benchFds: Figure;
  redisCpuToken: Figure;
  redisCmdToken: Figure;
  redisBytesToken: Figure;
  redisBytesSetup: Figure;
  redisCpuSetup: Figure;
  redisCmdSetup: Figure;
  redisCpuFollow: Figure;
  redisCmdFollow: Figure;
  redisMem100: Figure;
  redisMem1000: Figure;
  redisKeyTtl: Figure;
  publish0: Figure;
  publish1: Figure;
  publish32: Figure;
  spublish0: Figure;
  spublish1: Figure;
  spublish8: Figure;
  publishRate1: Figure;
  nginxCpuToken: Figure;
  nginxCpuSetup: Figure;
  nginxCpuFollow: Figure;
  nginxFds: Figure;
  nginxMem: Figure;
  socketsPerStream: Figure;
  socketBytesPerStream: Figure;
}

export function collectFigures(book: FigureBook): SizingFigures {
  const relay = (key: string, path: string): string => `relays[key=${key}].${path}`;
  const fanout = (command: string, readers: number, field: string): Origin =>
    scaling(
      `fanout[command=${command},readers=${readers}].${field}`,
      'Redis pub/sub fan-out',
      `${command}, ${readers} subscriber connection${readers === 1 ? '' : 's'}`,
    );
  const through = 'through nginx (nginx → gateway with the Redis log → Redis)';
  const open = 'open streams through nginx';
  return {
    appTokenRamped: book.add(
      'app CPU per token, streams ramped in',
      'µs',
      latest(relay(REDIS_RELAY, 'throughput.cpuMicrosPerToken'), 'throughput (ramped)', ROW_REDIS),
    ),
    appTokenBurst: book.add(
      'app CPU per token, all streams opened at once',
      'µs',
      latest(relay(REDIS_RELAY, 'burst.cpuMicrosPerToken'), 'throughput (burst)', ROW_REDIS),
      latest(relay(REDIS_RELAY, 'throughput.cpuMicrosPerToken'), 'throughput (ramped)', ROW_REDIS),
    ),
    appTokenMemoryLog: book.add(
      'app CPU per token with the log in memory (comparison)',
      'µs',
      latest(
        relay(MEMORY_RELAY, 'throughput.cpuMicrosPerToken'),
        'throughput (ramped)',
        ROW_MEMORY,
      ),
    ),
    appSetup: book.add(
      "app CPU per stream's start and end (2-token streams)",
      'µs',
      latest(relay(REDIS_RELAY, 'setup.cpuMicrosPerStream'), 'setup', ROW_REDIS),
      scaling('throughNginx.perSetupStream.app', through, 'app CPU per 2-token stream'),
    ),
    appFollow: book.add(
      'app CPU per token a second reader follows through the log',
      'µs',
      scaling('throughNginx.perFollowedToken.app', through, 'app CPU added per followed token'),
    ),
    appRss: book.add(
      'app RSS per open stream',
      'bytes',
      latest(relay(REDIS_RELAY, 'concurrency.rssPerStreamKb'), 'open streams', ROW_REDIS, KB),
      scaling('openStreams.perStream.appPrivateBytes', open, 'app private memory per stream'),
    ),
    appHeap: book.add(
      'app heap per open stream after a forced GC',
      'bytes',
      latest(relay(REDIS_RELAY, 'concurrency.heapPerStreamKb'), 'open streams', ROW_REDIS, KB),
      latest(relay(MEMORY_RELAY, 'concurrency.heapPerStreamKb'), 'open streams', ROW_MEMORY, KB),
      scaling('openStreams.perStream.appPrivateBytes', open, 'app private memory per stream'),
    ),
    appOpenVerified: book.add(
      'open streams one process carried, every one completing',
      'streams',
      latest(relay(MEMORY_RELAY, 'concurrency.openStreams'), 'open streams', ROW_MEMORY),
    ),
    appOpenLagP99: book.add(
      'inter-token lag p99 at that count',
      'ms',
      latest(relay(MEMORY_RELAY, 'concurrency.interTokenLagP99Ms'), 'open streams', ROW_MEMORY),
    ),
    appFds: book.add(
      'app file descriptors per open stream',
      'fds',
      scaling('openStreams.perStream.appFds', open, 'app fds per stream'),
    ),
    redisFds: book.add(
      'Redis file descriptors per open stream (connections are per app process)',
      'fds',
      scaling('openStreams.perStream.redisFds', open, 'Redis fds per stream'),
    ),
    redisClients: book.add(
      'Redis clients during the open streams: one app process plus the bench’s INFO connection',
      'clients',
      scaling('openStreams.redisConnectedClients', open, 'connected_clients'),
    ),
    benchFds: book.add(
      'load generator + fake upstream file descriptors per open stream',
      'fds',
      scaling('openStreams.perStream.benchFds', open, 'bench process fds per stream'),
    ),
    redisCpuToken: book.add(
      'Redis CPU per token (the stream’s writes and wake-ups, batched per tick)',
      'µs',
      scaling('throughNginx.perToken.redis', through, 'Redis CPU per token'),
    ),
    redisCmdToken: book.add(
      'Redis commands per token',
      'commands',
      latest('redis.ramped.commandsPerToken', 'Redis cost, throughput (ramped)', ROW_REDIS),
      scaling('throughNginx.perToken.redisCommands', through, 'Redis commands per token'),
    ),
    redisBytesToken: book.add(
      'bytes the app sends Redis per token',
      'bytes',
      latest('redis.ramped.netInputBytesPerToken', 'Redis cost, throughput (ramped)', ROW_REDIS),
    ),
    redisBytesSetup: book.add(
      "bytes the app sends Redis per stream's start and end",
      'bytes',
      latest('redis.setup.netInputBytesPerStream', 'Redis cost, setup', ROW_REDIS),
    ),
    redisCpuSetup: book.add(
      "Redis CPU per stream's start and end",
      'µs',
      scaling('throughNginx.perSetupStream.redis', through, 'Redis CPU per 2-token stream'),
    ),
    redisCmdSetup: book.add(
      "Redis commands per stream's start and end",
      'commands',
      latest('redis.setup.commandsPerStream', 'Redis cost, setup', ROW_REDIS),
      scaling(
        'throughNginx.perSetupStream.redisCommands',
        through,
        'Redis commands per 2-token stream',
      ),
    ),
    redisCpuFollow: book.add(
      'Redis CPU per followed token (wake delivery, XRANGE)',
      'µs',
      scaling('throughNginx.perFollowedToken.redis', through, 'Redis CPU added per followed token'),
    ),
    redisCmdFollow: book.add(
      'XRANGE calls per followed token (one per wake, fewer when a wake finds several events)',
      'commands',
      scaling('throughNginx.perFollowedToken.xrange', through, 'XRANGE calls per followed token'),
    ),
    redisMem100: book.add(
      'Redis memory per finished 100-token stream (kept for STREAM_TTL_S)',
      'bytes',
      scaling(
        'finishedStreams[tokens=100].usedMemoryBytesPerStream',
        'Redis memory per finished stream',
        '100 tokens',
      ),
    ),
    redisMem1000: book.add(
      'Redis memory per finished 1,000-token stream',
      'bytes',
      scaling(
        'finishedStreams[tokens=1000].usedMemoryBytesPerStream',
        'Redis memory per finished stream',
        '1,000 tokens',
      ),
    ),
    redisKeyTtl: book.add(
      "TTL left on a finished stream's events key",
      's',
      scaling(
        'finishedStreams[tokens=100].ttlSeconds',
        'Redis memory per finished stream',
        '100 tokens',
      ),
    ),
    publish0: book.add(
      'Redis CPU per PUBLISH, no subscriber',
      'µs',
      fanout('PUBLISH', 0, 'redisCpuMicrosPerPublish'),
    ),
    publish1: book.add(
      'Redis CPU per PUBLISH, 1 subscriber',
      'µs',
      fanout('PUBLISH', 1, 'redisCpuMicrosPerPublish'),
    ),
    publish32: book.add(
      'Redis CPU per PUBLISH, 32 subscribers',
      'µs',
      fanout('PUBLISH', 32, 'redisCpuMicrosPerPublish'),
    ),
    spublish0: book.add(
      'Redis CPU per SPUBLISH, no subscriber',
      'µs',
      fanout('SPUBLISH', 0, 'redisCpuMicrosPerPublish'),
    ),
    spublish1: book.add(
      'Redis CPU per SPUBLISH, 1 subscriber',
      'µs',
      fanout('SPUBLISH', 1, 'redisCpuMicrosPerPublish'),
    ),
    spublish8: book.add(
      'Redis CPU per SPUBLISH, 8 subscribers',
      'µs',
      fanout('SPUBLISH', 8, 'redisCpuMicrosPerPublish'),
    ),
    publishRate1: book.add(
      'messages delivered per second, PUBLISH to 1 subscriber (load generator on the same 2 cores)',
      'msg/s',
      fanout('PUBLISH', 1, 'deliveredPerSecond'),
    ),
    nginxCpuToken: book.add(
      'nginx CPU per token',
      'µs',
      scaling('throughNginx.perToken.nginx', through, 'nginx CPU per token'),
    ),
    nginxCpuSetup: book.add(
      "nginx CPU per stream's start and end",
      'µs',
      scaling('throughNginx.perSetupStream.nginx', through, 'nginx CPU per 2-token stream'),
    ),
    nginxCpuFollow: book.add(
      'nginx CPU per followed token (the second reader is proxied too)',
      'µs',
      scaling('throughNginx.perFollowedToken.nginx', through, 'nginx CPU added per followed token'),
    ),
    nginxFds: book.add(
      'nginx file descriptors per open stream (client + upstream)',
      'fds',
      scaling('openStreams.perStream.nginxFds', open, 'nginx fds per stream'),
    ),
    nginxMem: book.add(
      'nginx private memory per open stream',
      'bytes',
      scaling('openStreams.perStream.nginxPrivateBytes', open, 'nginx private memory per stream'),
    ),
    socketsPerStream: book.add(
      'TCP sockets per stream on the loopback test path (client, nginx ×2, app ×2, upstream)',
      'sockets',
      scaling('openStreams.perStream.tcpSockets', open, 'kernel TCP slab objects per stream'),
    ),
    socketBytesPerStream: book.add(
      'kernel slab memory of those sockets per stream',
      'bytes',
      scaling(
        'openStreams.perStream.kernelSocketBytes',
        open,
        'TCP + sock_inode_cache slabs per stream',
      ),
    ),
  };
}
