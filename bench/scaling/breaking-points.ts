import type { SizingFigures } from './sizing-figures';
import type { Assumptions, Sizing } from './sizing-model';

export interface Limit {
  /** What runs out. */
  what: string;
  /** Where: one app process, one nginx worker or node, one Redis shard, the whole fleet. */
  scope: string;
  /** Concurrent streams in that scope when it runs out. */
  streams: number;
  /** What happens then. */
  symptom: string;
  /** F-ids and settings the number comes from. */
  from: string;
}

export interface MachineLimits {
  portRange: number;
  conntrackMax: number;
}

/** Each default limit, in concurrent streams of the unit it bounds, smallest first. */
export function unitLimits(
  f: SizingFigures,
  s: Sizing,
  a: Assumptions,
  machine: MachineLimits,
): Limit[] {
  const redisPerStreamSecond =
    a.tokensPerSecond * f.redisCpuToken.value +
    (a.tokensPerSecond / a.streamTokens) * f.redisCpuSetup.value +
    a.followerShare * a.tokensPerSecond * f.redisCpuFollow.value;
  const defaultPlan = s.redis.plans[0];
  const redisBytesPerStream =
    s.redis.runningBytesPerStream +
    (a.tokensPerSecond / a.streamTokens) * defaultPlan.ttl * s.redis.finishedBytesPerStream;
  const limits: Limit[] = [
    {
      what: 'CPU (its one core full)',
      scope: 'app process',
      streams: s.app.streamsAtFullCore,
      symptom:
        'every stream on it lags, and nothing refuses new ones before MAX_CONCURRENT_STREAMS',
      from: `${f.appTokenRamped.id}/${f.appTokenBurst.id}, ${f.appSetup.id}, ${f.appFollow.id}`,
    },
    {
      what: `a soft nofile of ${a.nofileDefault} (a common default)`,
      scope: 'app process',
      streams: (a.nofileDefault - 100) / f.appFds.value,
      symptom: 'EMFILE: accept and upstream connect fail, nginx answers 502',
      from: f.appFds.id,
    },
    {
      what: `MAX_CONCURRENT_STREAMS (default ${a.maxConcurrentDefault})`,
      scope: 'app process',
      streams: a.maxConcurrentDefault,
      symptom: '503 (by design)',
      from: 'docs/PROTOCOL.md §12',
    },
    {
      what: `a soft nofile of ${a.nofileDefault} (where worker_rlimit_nofile is left out)`,
      scope: 'nginx worker',
      streams: a.nofileDefault / f.nginxFds.value,
      symptom: '"Too many open files" in the error log, 500/502 to new clients',
      from: f.nginxFds.id,
    },
    {
      what: `worker_connections ${a.workerConnectionsDefault} (nginx/nginx.conf)`,
      scope: 'nginx worker',
      streams: a.workerConnectionsDefault / f.nginxFds.value,
      symptom: '"worker_connections are not enough", new clients dropped',
      from: f.nginxFds.id,
    },
    {
      what: `ephemeral ports ${machine.portRange.toLocaleString('en-US')} (ip_local_port_range)`,
      scope: 'nginx node → one upstream address',
      streams: machine.portRange - s.nginx.timeWaitPerPair,
      symptom: '"Cannot assign requested address" on upstream connect, 502',
      from: 'bench:scaling machine.sysctl',
    },
    {
      what: `nf_conntrack_max ${machine.conntrackMax.toLocaleString('en-US')}`,
      scope: 'nginx node (if conntrack tracks its traffic)',
      streams: machine.conntrackMax / 2,
      symptom: '"nf_conntrack: table full, dropping packet": new connections time out',
      from: 'bench:scaling machine.sysctl',
    },
    {
      what: 'CPU (its one core full)',
      scope: 'Redis shard',
      streams: 1e6 / redisPerStreamSecond,
      symptom: 'appends queue in the app, followers and resumes lag',
      from: `${f.redisCpuToken.id}, ${f.redisCpuSetup.id}, ${f.redisCpuFollow.id}`,
    },
    {
      what: `memory ${(a.redisShardBytes / 2 ** 30).toFixed(0)} GiB with STREAM_TTL_S=${defaultPlan.ttl}`,
      scope: 'Redis shard',
      streams: a.redisShardBytes / redisBytesPerStream,
      symptom: 'OOM command not allowed: appends fail, streams lose their log',
      from: `${f.redisMem100.id}, ${f.redisMem1000.id}`,
    },
    {
      what: `maxclients ${a.redisMaxClients.toLocaleString('en-US')} (Redis default)`,
      scope: `every Redis shard: ${a.redisConnectionsPerProcess} connections per app process`,
      streams: (a.redisMaxClients / a.redisConnectionsPerProcess) * s.app.streamsPerProcess,
      symptom: 'new app processes cannot connect: not ready, or no log',
      from: 'app processes (section 4)',
    },
  ];
  return limits.sort((x, y) => x.streams - y.streams);
}

export interface FleetCapacity {
  what: string;
  streams: number;
  from: string;
}

/** With the fleet of the sizing, how many streams each resource carries at 100 %, fewest first. */
export function fleetCapacities(f: SizingFigures, s: Sizing, a: Assumptions): FleetCapacity[] {
  const perStreamSecond = (token: number, setup: number, follow: number): number =>
    a.tokensPerSecond * token +
    (a.tokensPerSecond / a.streamTokens) * setup +
    a.followerShare * a.tokensPerSecond * follow;
  const plan = s.redis.plans[0];
  const redisBytesPerStream = plan.memoryBytes / a.streams;
  const capacities: FleetCapacity[] = [
    {
      what: `app CPU (${s.app.processes.toLocaleString('en-US')} processes at 100 %)`,
      streams: s.app.processes * s.app.streamsAtFullCore,
      from: 'app rows above',
    },
    {
      what: `nginx CPU (${s.nginx.nodes} nodes × ${a.nginxCoresPerNode} cores at 100 %)`,
      streams:
        (s.nginx.nodes * a.nginxCoresPerNode * 1e6) /
        perStreamSecond(f.nginxCpuToken.value, f.nginxCpuSetup.value, f.nginxCpuFollow.value),
      from: `${f.nginxCpuToken.id}, ${f.nginxCpuSetup.id}, ${f.nginxCpuFollow.id}`,
    },
    {
      what: `nginx worker_connections ${s.nginx.workerConnections.toLocaleString('en-US')} (as set below)`,
      streams:
        (s.nginx.nodes * a.nginxCoresPerNode * s.nginx.workerConnections) /
        f.nginxFds.value /
        (1 + a.followerShare),
      from: f.nginxFds.id,
    },
    {
      what: `Redis CPU (${plan.shards} shards at 100 % of a core)`,
      streams:
        (plan.shards * 1e6) /
        perStreamSecond(f.redisCpuToken.value, f.redisCpuSetup.value, f.redisCpuFollow.value),
      from: `${f.redisCpuToken.id}, ${f.redisCpuSetup.id}, ${f.redisCpuFollow.id}`,
    },
    {
      what: `Redis memory (${plan.shards} shards × ${(a.redisShardBytes / 2 ** 30).toFixed(0)} GiB, STREAM_TTL_S=${plan.ttl})`,
      streams: (plan.shards * a.redisShardBytes) / redisBytesPerStream,
      from: `${f.redisMem100.id}, ${f.redisMem1000.id}`,
    },
  ];
  return capacities.sort((x, y) => x.streams - y.streams);
}
