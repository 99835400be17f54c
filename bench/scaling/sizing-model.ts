import type { SizingFigures } from './sizing-figures';

/** What the sizing assumes about the load and the hardware; stated in the document. */
export const ASSUMPTIONS = {
  streams: 1_000_000,
  /** Content chunks a stream forwards per second (a provider sends about one token per chunk). */
  tokensPerSecond: 30,
  /** Tokens of one answer: 20 s per stream at 30 tokens/s. */
  streamTokens: 600,
  /** Share of streams with one more reader attached through the log (a reload, a second tab). */
  followerShare: 0.05,
  /** STREAM_TTL_S as shipped, and the shortest allowed (≥ STREAM_IDLE_TIMEOUT_MS of 60 s) with margin. */
  ttlDefault: 600,
  ttlShort: 120,
  /** One Node process per core; an app host runs this many. */
  appCoresPerHost: 8,
  /** Peak CPU per core the fleet is sized to, leaving room for a lost host and bursts. */
  cpuTarget: 0.6,
  /** RSS of an idle gateway process (a stated guess; the bench measures only what streams add). */
  appBaseRssBytes: 150 * 2 ** 20,
  appBaseHeapBytes: 60 * 2 ** 20,
  /** A Redis shard does its commands on one core: size it to half of that core. */
  redisCpuTarget: 0.5,
  /** used_memory per shard (room for replication buffers and a replica's full sync). */
  redisShardBytes: 24 * 2 ** 30,
  /**
   * Connections each app process holds to each Redis master in cluster mode: commands, the
   * subscriber Cluster's own connection and its sharded subscriber (the most the scale-out e2e
   * suite allows, test/support/shared-redis.ts).
   */
  redisConnectionsPerProcess: 3,
  redisMaxClients: 10_000,
  nginxCoresPerNode: 16,
  /** Defaults this sizing checks: MAX_CONCURRENT_STREAMS, nginx.conf worker_connections. */
  maxConcurrentDefault: 1000,
  workerConnectionsDefault: 16_384,
  /** A common soft `nofile` (systemd services, many distributions) when nothing raises it. */
  nofileDefault: 1024,
  /** nf_conntrack_tcp_timeout_time_wait and the kernel's TIME_WAIT length, s. */
  conntrackTimeWaitSeconds: 120,
  timeWaitSeconds: 60,
} as const;

export type Assumptions = typeof ASSUMPTIONS;

/** Memory a finished stream keeps in Redis: fixed part + per token, from the two lengths. */
export function redisBytesFor(figures: SizingFigures, tokens: number): number {
  const perToken = (figures.redisMem1000.value - figures.redisMem100.value) / 900;
  const fixed = figures.redisMem100.value - 100 * perToken;
  return fixed + perToken * tokens;
}

export interface RedisPlan {
  ttl: number;
  finishedKept: number;
  memoryBytes: number;
  shardsForMemory: number;
  shards: number;
  opsPerShard: number;
  memoryPerShard: number;
  cpuPerShard: number;
}

export interface Sizing {
  tokensPerSecond: number;
  startsPerSecond: number;
  followedTokensPerSecond: number;
  app: {
    microsPerToken: number;
    /** CPU µs one stream costs per second of its life (tokens, its share of set-up, followers). */
    microsPerStreamSecond: number;
    cores: number;
    processes: number;
    hosts: number;
    streamsPerProcess: number;
    streamsAtFullCore: number;
    maxConcurrent: number;
    rssAtCap: number;
    heapAtCap: number;
    oldSpaceMb: number;
    fdsAtCap: number;
  };
  redis: {
    cores: number;
    shardsForCpu: number;
    opsPerSecond: number;
    runningBytes: number;
    finishedBytesPerStream: number;
    runningBytesPerStream: number;
    plans: RedisPlan[];
    connectionsPerShard: number;
  };
  nginx: {
    cores: number;
    nodes: number;
    streamsPerNode: number;
    connectionsPerNode: number;
    streamsPerWorker: number;
    workerConnections: number;
    rlimitNofile: number;
    memoryPerNode: number;
    conntrackPerNode: number;
    upstreamPerPair: number;
    timeWaitPerPair: number;
  };
}

const ceil = Math.ceil;

/** Rounds up to a multiple of `step`, for settings. */
const roundUp = (value: number, step: number): number => ceil(value / step) * step;

export function size(figures: SizingFigures, a: Assumptions = ASSUMPTIONS): Sizing {
  const tokensPerSecond = a.streams * a.tokensPerSecond;
  const startsPerSecond = tokensPerSecond / a.streamTokens;
  const followedTokensPerSecond = tokensPerSecond * a.followerShare;
  const perStreamSecond = (token: number, setup: number, follow: number): number =>
    a.tokensPerSecond * token +
    (a.tokensPerSecond / a.streamTokens) * setup +
    a.followerShare * a.tokensPerSecond * follow;

  // App: the larger of the two throughput scenarios, so a burst of starts is covered.
  const microsPerToken = Math.max(figures.appTokenRamped.value, figures.appTokenBurst.value);
  const microsPerStreamSecond = perStreamSecond(
    microsPerToken,
    figures.appSetup.value,
    figures.appFollow.value,
  );
  const appCores = (a.streams * microsPerStreamSecond) / 1e6;
  const processes = ceil(appCores / a.cpuTarget);
  const streamsAtFullCore = 1e6 / microsPerStreamSecond;
  // The cap stops a process at 85 % of its core: beyond it, lag grows for every stream on it.
  const maxConcurrent = Math.floor((streamsAtFullCore * 0.85) / 10) * 10;
  const followersAtCap = maxConcurrent * a.followerShare;
  const heapAtCap = a.appBaseHeapBytes + (maxConcurrent + followersAtCap) * figures.appHeap.value;

  const redisMicrosPerStreamSecond = perStreamSecond(
    figures.redisCpuToken.value,
    figures.redisCpuSetup.value,
    figures.redisCpuFollow.value,
  );
  const redisCores = (a.streams * redisMicrosPerStreamSecond) / 1e6;
  const shardsForCpu = ceil(redisCores / a.redisCpuTarget);
  const opsPerSecond =
    tokensPerSecond * figures.redisCmdToken.value +
    startsPerSecond * figures.redisCmdSetup.value +
    followedTokensPerSecond * Math.max(0, figures.redisCmdFollow.value);
  const finishedBytesPerStream = redisBytesFor(figures, a.streamTokens);
  // A running stream holds, on average, half its answer.
  const runningBytesPerStream = redisBytesFor(figures, a.streamTokens / 2);
  const runningBytes = a.streams * runningBytesPerStream;
  const plans = [a.ttlDefault, a.ttlShort].map((ttl): RedisPlan => {
    const finishedKept = startsPerSecond * ttl;
    const memoryBytes = runningBytes + finishedKept * finishedBytesPerStream;
    const shardsForMemory = ceil(memoryBytes / a.redisShardBytes);
    const shards = Math.max(shardsForCpu, shardsForMemory);
    return {
      ttl,
      finishedKept,
      memoryBytes,
      shardsForMemory,
      shards,
      opsPerShard: opsPerSecond / shards,
      memoryPerShard: memoryBytes / shards,
      cpuPerShard: redisCores / shards,
    };
  });

  const nginxMicrosPerStreamSecond = perStreamSecond(
    figures.nginxCpuToken.value,
    figures.nginxCpuSetup.value,
    figures.nginxCpuFollow.value,
  );
  const nginxCores = (a.streams * nginxMicrosPerStreamSecond) / 1e6;
  const nodes = ceil(nginxCores / (a.nginxCoresPerNode * a.cpuTarget));
  // Followers are proxied connections too.
  const streamsPerNode = (a.streams * (1 + a.followerShare)) / nodes;
  const streamsPerWorker = streamsPerNode / a.nginxCoresPerNode;
  // Room for a lost node's streams and uneven spread between workers.
  const workerConnections = roundUp(streamsPerWorker * figures.nginxFds.value * 1.5, 1024);
  const socketBytes = figures.socketBytesPerStream.value / figures.socketsPerStream.value;
  return {
    tokensPerSecond,
    startsPerSecond,
    followedTokensPerSecond,
    app: {
      microsPerToken,
      microsPerStreamSecond,
      cores: appCores,
      processes,
      hosts: ceil(processes / a.appCoresPerHost),
      streamsPerProcess: a.streams / processes,
      streamsAtFullCore,
      maxConcurrent,
      rssAtCap: a.appBaseRssBytes + (maxConcurrent + followersAtCap) * figures.appRss.value,
      heapAtCap,
      oldSpaceMb: roundUp((heapAtCap * 2) / 2 ** 20, 256),
      fdsAtCap: ceil((maxConcurrent + followersAtCap) * figures.appFds.value) + 100,
    },
    redis: {
      cores: redisCores,
      shardsForCpu,
      opsPerSecond,
      runningBytes,
      finishedBytesPerStream,
      runningBytesPerStream,
      plans,
      connectionsPerShard: processes * a.redisConnectionsPerProcess,
    },
    nginx: {
      cores: nginxCores,
      nodes,
      streamsPerNode,
      connectionsPerNode: streamsPerNode * figures.nginxFds.value,
      streamsPerWorker,
      workerConnections,
      rlimitNofile: workerConnections + 1024,
      memoryPerNode: streamsPerNode * (figures.nginxMem.value + 2 * socketBytes),
      conntrackPerNode:
        streamsPerNode * 2 + (startsPerSecond / nodes) * 2 * a.conntrackTimeWaitSeconds,
      upstreamPerPair: streamsPerNode / processes,
      timeWaitPerPair: (startsPerSecond / nodes / processes) * a.timeWaitSeconds,
    },
  };
}
