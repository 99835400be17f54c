import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import type { BenchResults } from '../bench-results';
import { fleetCapacities, unitLimits } from './breaking-points';
import { FigureBook, LATEST_JSON, SCALING_JSON, type Figure } from './figure-book';
import type { ScalingResults } from './scaling-results';
import { collectFigures, type SizingFigures } from './sizing-figures';
import { ASSUMPTIONS, size, type RedisPlan, type Sizing } from './sizing-model';

export const SCALING_MD = 'docs/SCALING.md';

const a = ASSUMPTIONS;
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const up = (value: number): string => Math.ceil(value).toLocaleString('en-US');
const num = (value: number): string =>
  Math.abs(value) >= 100
    ? int(value)
    : value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toLocaleString('en-US', { maximumSignificantDigits: 3 })} ${units[unit]}`;
}
const show = (figure: Figure): string =>
  figure.unit === 'bytes' ? bytes(figure.value) : `${num(figure.value)} ${figure.unit}`;
/** A figure in the prose: its value and its id in the table of measured figures. */
const cite = (figure: Figure): string => `${show(figure)} [${figure.id}]`;

function sysctl(scaling: ScalingResults, name: string): string {
  const value = scaling.machine.sysctl[name];
  if (value === undefined) throw new Error(`${SCALING_JSON} has no machine.sysctl["${name}"]`);
  return value;
}

function runLine(what: string, file: string, when: string, mode: string, commit?: string): string {
  return `- ${what}: \`${file}\`, ${mode} run of ${when}${commit ? ` at commit ${commit}` : ''}.`;
}

function figuresTable(figures: Figure[]): string {
  const rows = figures.map(
    (figure) =>
      `| ${figure.id} | ${figure.what} | ${show(figure)} | ${figure.source}${figure.pending ? ` — **pending**: ${figure.pending}` : ''} |`,
  );
  return ['| id | figure | value | source |', '|---|---|---:|---|', ...rows].join('\n');
}

function fanoutTable(scaling: ScalingResults): string {
  const rows = scaling.fanout.map(
    (row) =>
      `| ${row.command} | ${row.readers} | ${num(row.redisCpuMicrosPerPublish)} | ${row.redisCpuMicrosPerDelivery === null ? '–' : num(row.redisCpuMicrosPerDelivery)} | ${int(1e6 / row.redisCpuMicrosPerPublish)} | ${int(row.publishedPerSecond)} | ${int(row.deliveredPerSecond)} |`,
  );
  return [
    '| command | subscriber connections | Redis CPU µs per publish | µs per delivery | publishes per core-second (1e6 / µs) | published/s here | delivered/s here |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function redisVerdict(s: Sizing, plan600: RedisPlan, plan120: RedisPlan): string {
  const ratio = int(plan600.finishedKept / a.streams);
  if (plan600.shardsForMemory > s.redis.shardsForCpu) {
    return `With the default TTL the finished streams, ${ratio} for every running one, are what Redis is sized for: \`STREAM_TTL_S=${a.ttlShort}\` still lets a client resume two minutes after the end and needs ${plan120.shards} shards instead of ${plan600.shards}.`;
  }
  return `Redis is sized by CPU, not memory: even with the default TTL (${ratio} finished streams kept for every running one) the ${s.redis.shardsForCpu} shards CPU needs hold ${bytes(plan600.memoryPerShard)} each. A shorter TTL would not save a shard.`;
}

function capVerdict(s: Sizing, f: SizingFigures): string {
  const nofile = `Where nothing raises \`nofile\`, the app stops at about ${int((a.nofileDefault - 100) / f.appFds.value)} streams per process and nginx at ${int(a.nofileDefault / f.nginxFds.value)} per worker.`;
  if (s.app.streamsAtFullCore >= a.maxConcurrentDefault) return nofile;
  return `\`MAX_CONCURRENT_STREAMS\` defaults to ${int(a.maxConcurrentDefault)}, above the ${int(s.app.streamsAtFullCore)} streams that fill a core: a full process keeps accepting streams, and every stream on it slows down. Set the cap below the CPU limit (section 9) so a full process answers 503 and nginx's \`least_conn\` sends the stream elsewhere. ${nofile}`;
}

function maxClientsVerdict(s: Sizing): string {
  const processes = a.redisMaxClients / a.redisConnectionsPerProcess;
  if (s.app.processes <= processes) return '';
  return ` Fleet-wide, Redis's default \`maxclients\` of ${int(a.redisMaxClients)} admits ${int(processes)} app processes (${a.redisConnectionsPerProcess} connections each per shard), fewer than the ${int(s.app.processes)} the load needs: raise it (section 9) or the fleet stops at ${int(processes * s.app.streamsPerProcess)} streams.`;
}

function sections(
  f: SizingFigures,
  s: Sizing,
  latest: BenchResults,
  scaling: ScalingResults,
  book: FigureBook,
): string {
  const portRange = sysctl(scaling, 'net.ipv4.ip_local_port_range').split(' ').map(Number);
  const ports = portRange[1] - portRange[0] + 1;
  const conntrackMax = Number(sysctl(scaling, 'net.netfilter.nf_conntrack_max'));
  const limits = unitLimits(f, s, a, { portRange: ports, conntrackMax });
  const fleet = fleetCapacities(f, s, a);
  const [plan600, plan120] = s.redis.plans;
  const chosen = plan120.shards < plan600.shards ? plan120 : plan600;
  const redisBytesPerSecond =
    s.tokensPerSecond * f.redisBytesToken.value + s.startsPerSecond * f.redisBytesSetup.value;
  const startsPerProcess = s.startsPerSecond / s.app.processes;
  const memoryLogStreams = startsPerProcess * a.ttlDefault + s.app.maxConcurrent;
  const perSocket = f.socketBytesPerStream.value / f.socketsPerStream.value;
  const first = fleet[0];
  const pending = book.warnings.length
    ? `\n\n**Pending figures.** ${book.warnings.length} figure(s) below use a stand-in because the scenario that measures them is not in \`${LATEST_JSON}\` yet (marked **pending** in the table). After \`npm run bench\` has measured them, \`npm run bench:scaling -- --render-only --strict\` renders this file again and fails if any is still missing.`
    : '';
  const redisLine = (plan: Sizing['redis']['plans'][number]): string =>
    `| ${plan.ttl} s | ${int(plan.finishedKept)} | ${bytes(plan.memoryBytes)} | ${plan.shardsForMemory} | ${s.redis.shardsForCpu} | **${plan.shards}** | ${int(plan.opsPerShard)} | ${bytes(plan.memoryPerShard)} | ${Math.round(plan.cpuPerShard * 100)} % |`;
  return `# Sizing for 1,000,000 concurrent streams

Generated by \`npm run bench:scaling\` (bench/scaling/render-scaling.ts): do not edit by hand. Every
measured number is in the table of section 2 with the bench scenario and the JSON path it came
from; every other number is arithmetic on those (section 3 onwards names the figures it uses as
[F…]) and on the assumptions of section 1. The figures come from:

${runLine('`npm run bench`', LATEST_JSON, latest.when, latest.mode, latest.commit)}
${runLine('`npm run bench:scaling`', SCALING_JSON, scaling.when, scaling.mode, scaling.commit)}
  nginx → gateway (Redis log) → Redis on loopback, fake OpenAI upstream; ${scaling.machine.cores}
  cores, load average ${scaling.machine.loadBefore.join(' / ')} before, ${scaling.machine.loadAfter.join(' / ')} after (the machine is shared).

After a new \`npm run bench\`, \`npm run bench:scaling -- --render-only\` renders this file from
the new figures without measuring again (add \`--strict\` to refuse stand-ins for figures
\`npm run bench\` has not measured); \`npm run bench:scaling\` measures its own part too.
The figures are from a ${scaling.machine.cores}-core machine that other work shares: per-unit
costs on a production core will differ, the method will not. Quick runs are noisier than full ones.${pending}

## 1. Assumptions

| assumption | value | why |
|---|---:|---|
| concurrent streams | ${int(a.streams)} | the target |
| tokens per second per stream | ${a.tokensPerSecond} | a fast hosted model; providers send about one token per chunk |
| tokens per answer | ${a.streamTokens} | so a stream lasts ${a.streamTokens / a.tokensPerSecond} s |
| streams with a second reader attached through the log | ${a.followerShare * 100} % | reloads, second tabs, reconnects after a network change |
| \`STREAM_TTL_S\` | ${a.ttlDefault} s (default), ${a.ttlShort} s | how long a finished stream stays resumable |
| app process | 1 per core, ${a.appCoresPerHost} per app host | Node runs JavaScript on one thread |
| CPU target at peak | ${a.cpuTarget * 100} % | room for a lost host and for bursts of starts |
| Redis shard | one core at ${a.redisCpuTarget * 100} %, ${bytes(a.redisShardBytes)} \`used_memory\` | Redis runs commands on one thread; small shards resync fast |
| nginx node | ${a.nginxCoresPerNode} cores, one worker per core, ${a.cpuTarget * 100} % | |
| idle app process | ${bytes(a.appBaseRssBytes)} RSS, ${bytes(a.appBaseHeapBytes)} heap | a stated guess: the bench measures what streams add |

## 2. Measured per-unit figures

${figuresTable(book.figures)}

On the test path every stream has ${num(f.socketsPerStream.value)} TCP sockets on one machine
[${f.socketsPerStream.id}] (load generator, nginx ×2, app ×2, upstream), so a socket holds
${bytes(perSocket)} of kernel slab [${f.socketBytesPerStream.id}]. In production an nginx node
holds two of them per stream and an app process two.

## 3. The load

- Tokens relayed: ${int(a.streams)} × ${a.tokensPerSecond} = **${int(s.tokensPerSecond)} tokens/s**.
- Streams started: ${int(a.streams)} / ${a.streamTokens / a.tokensPerSecond} s = **${int(s.startsPerSecond)} starts/s** (and as many ends).
- Tokens sent a second time to followers: ${a.followerShare * 100} % of them, **${int(s.followedTokensPerSecond)} tokens/s**.

## 4. App processes

One stream costs its process, per second of its life,
${a.tokensPerSecond} × ${num(s.app.microsPerToken)} µs (tokens: the larger of ${cite(f.appTokenRamped)} and ${cite(f.appTokenBurst)})
\\+ ${a.tokensPerSecond}/${a.streamTokens} × ${cite(f.appSetup)} (start and end)
\\+ ${a.followerShare} × ${a.tokensPerSecond} × ${cite(f.appFollow)} (followers)
= **${int(s.app.microsPerStreamSecond)} µs of CPU per second**. So:

- A process's core is full at **${int(s.app.streamsAtFullCore)} streams**.
- ${int(a.streams)} streams need ${num(s.app.cores)} cores; at ${a.cpuTarget * 100} %, **${int(s.app.processes)} processes**, that is **${int(s.app.hosts)} app hosts** of ${a.appCoresPerHost} cores, ${int(s.app.streamsPerProcess)} streams each.
- The log in Redis costs the app ${num(f.appTokenRamped.value / f.appTokenMemoryLog.value)}× what the log in memory does per token (${cite(f.appTokenRamped)} against ${cite(f.appTokenMemoryLog)}).
- Memory: at the cap below (${int(s.app.maxConcurrent)} streams plus ${a.followerShare * 100} % followers) it holds ${bytes(s.app.rssAtCap)} RSS (${cite(f.appRss)} per stream) and ${bytes(s.app.heapAtCap)} of heap (${cite(f.appHeap)} per stream).
- One process has carried ${cite(f.appOpenVerified)} at once (1 token/s each) with an inter-token lag p99 of ${cite(f.appOpenLagP99)}${s.app.streamsAtFullCore < f.appOpenVerified.value ? `: at ${a.tokensPerSecond} tokens/s per stream CPU runs out long before that many` : ''}.
- File descriptors: ${cite(f.appFds)} per stream (nginx's connection, the upstream call), ${int(s.app.fdsAtCap)} at the cap.
  Redis holds none per stream (${cite(f.redisFds)}): ${cite(f.redisClients)} for one app process and the bench, whatever the number of streams.
  The load generator and fake upstream held ${cite(f.benchFds)}: in production the clients and the LLM provider hold those.

## 5. Redis shards

Redis CPU per second: ${int(s.tokensPerSecond)} × ${cite(f.redisCpuToken)} + ${int(s.startsPerSecond)} × ${cite(f.redisCpuSetup)}
\\+ ${int(s.followedTokensPerSecond)} × ${cite(f.redisCpuFollow)} = **${num(s.redis.cores)} cores**, so ${s.redis.shardsForCpu} shards
at ${a.redisCpuTarget * 100} % of a core. Commands: ${int(s.tokensPerSecond)} × ${cite(f.redisCmdToken)} + ${int(s.startsPerSecond)} × ${cite(f.redisCmdSetup)}
\\+ ${int(s.followedTokensPerSecond)} × ${cite(f.redisCmdFollow)} = **${int(s.redis.opsPerSecond)} commands/s**.
Network into Redis: ${int(s.tokensPerSecond)} × ${cite(f.redisBytesToken)} + ${int(s.startsPerSecond)} × ${cite(f.redisBytesSetup)}
= ${bytes(redisBytesPerSecond)}/s in all, ${bytes(redisBytesPerSecond / chosen.shards)}/s per shard.

Memory: a finished stream keeps its events for \`STREAM_TTL_S\` (${cite(f.redisKeyTtl)} left on a key
just after its end). From the two lengths measured (${cite(f.redisMem100)} for 100 tokens,
${cite(f.redisMem1000)} for 1,000) a ${a.streamTokens}-token stream keeps
**${bytes(s.redis.finishedBytesPerStream)}**; a running one holds on average half of that,
${bytes(s.redis.runningBytesPerStream)}, so the running streams hold ${bytes(s.redis.runningBytes)}.
Finished streams kept = starts/s × TTL:

| \`STREAM_TTL_S\` | finished streams kept | memory (running + finished) | shards for memory | shards for CPU | shards | commands/s per shard | memory per shard | CPU per shard |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${redisLine(plan600)}
${redisLine(plan120)}

${redisVerdict(s, plan600, plan120)} Add one replica per shard for failover (twice the memory, no
more primaries). Redis 7's \`io-threads\` can take socket reads and writes off the main thread;
the sizing does not count on it.

Each app process holds up to ${a.redisConnectionsPerProcess} connections to each master (commands, the
subscriber's cluster connection, its sharded subscriber: the most test/support/shared-redis.ts allows): **${int(s.redis.connectionsPerShard)} clients per shard**, against Redis's default
\`maxclients\` of ${int(a.redisMaxClients)}.

## 6. Redis pub/sub fan-out

The gateway publishes one wake message per stream per append batch (about one per token), to the
stream's own channel \`sg:{id}:wake\`; only processes with a reader following that stream through
the log subscribe to it. Measured on one Redis (1,000 channels, every subscriber connection on all
of them, bench:scaling \`fanout\`):

${fanoutTable(scaling)}

- A publish nobody listens to costs ${cite(f.publish0)}; each delivered message adds about
  ${num(f.publish1.value - f.publish0.value)} µs (${cite(f.publish1)} with one subscriber,
  ${cite(f.publish32)} with 32). One core delivers roughly ${int(f.publishRate1.value)} messages/s
  to one subscriber here [${f.publishRate1.id}], bounded by the load generator on the same cores.
- In a cluster, a classic \`PUBLISH\` is forwarded to every node over the cluster bus: each of the
  ${plan120.shards} shards would handle all ${int(s.tokensPerSecond)} publishes/s, ${num((s.tokensPerSecond * f.publish0.value) / 1e6)} cores' worth
  at ${cite(f.publish0)} each, before any delivery. It cannot work at this size. \`SPUBLISH\`
  (${cite(f.spublish0)}, ${cite(f.spublish1)}, ${cite(f.spublish8)} with 8) stays on the shard that
  owns the stream's slot, so the wake channel must be sharded in cluster mode.
- A follower costs per followed token ${cite(f.redisCpuFollow)} of Redis: the wake delivered to its
  process and ${cite(f.redisCmdFollow)} (an XRANGE per wake that finds new events). That was
  measured with streams of ${scaling.throughNginx.plan.tokens} tokens ${scaling.throughNginx.plan.gapMs} ms apart on a busy app, so a wake often
  found several events; a follower of a slower stream makes up to one XRANGE per token, at most
  ${int(s.followedTokensPerSecond)} commands/s more (${num((100 * s.followedTokensPerSecond) / s.redis.opsPerSecond)} % of the total).

## 7. nginx nodes

nginx CPU per second: ${int(s.tokensPerSecond)} × ${cite(f.nginxCpuToken)} + ${int(s.startsPerSecond)} × ${cite(f.nginxCpuSetup)}
\\+ ${int(s.followedTokensPerSecond)} × ${cite(f.nginxCpuFollow)} = **${num(s.nginx.cores)} cores**, so
**${s.nginx.nodes} nodes** of ${a.nginxCoresPerNode} cores at ${a.cpuTarget * 100} % (plain HTTP; TLS
termination is not measured and adds to it).

- Streams per node (followers included): ${int(s.nginx.streamsPerNode)}, ${int(s.nginx.streamsPerWorker)} per worker.
- Connections and fds: ${cite(f.nginxFds)} per stream (the client's and the upstream one): ${int(s.nginx.connectionsPerNode)} per node.
  Upstream \`keepalive\` does not reduce this: a stream holds its upstream connection for its whole life, the pool only keeps idle ones between streams.
- \`worker_connections\` counts both: ${int(s.nginx.streamsPerWorker)} streams × ${num(f.nginxFds.value)} × 1.5 (a lost node's clients, uneven workers) → **${int(s.nginx.workerConnections)}**, with \`worker_rlimit_nofile ${int(s.nginx.rlimitNofile)}\`.
- Memory: ${cite(f.nginxMem)} in nginx and 2 × ${bytes(perSocket)} of kernel sockets per stream: ${bytes(s.nginx.memoryPerNode)} per node.
- Ephemeral ports: every upstream connection takes a local port from \`ip_local_port_range\` for its
  (nginx address, upstream address:port) pair: ${int(ports)} ports here (${portRange.join('–')}). Spread over
  ${int(s.app.processes)} app processes listening on their own address:port, a node has ${num(s.nginx.upstreamPerPair)} streams
  and ${num(s.nginx.timeWaitPerPair)} TIME_WAIT sockets per pair. The limit bites when many processes sit behind one
  address:port (a host-level balancer, SO_REUSEPORT): then one pair carries a whole host's streams
  and breaks at ${int(ports)} of them. List every process as its own \`server\`, or widen the range.
- conntrack: if the node tracks connections (NAT, a stateful firewall), it needs an entry per
  connection plus ${a.conntrackTimeWaitSeconds} s of closed ones: ${int(s.nginx.conntrackPerNode)} per node
  against \`nf_conntrack_max\` ${int(conntrackMax)} here. Raise it or exempt the proxy's ports (\`NOTRACK\`).

## 8. What breaks first

Each default limit, in concurrent streams of the unit it bounds, smallest first:

| limit | unit | breaks at (streams) | then | from |
|---|---|---:|---|---|
${limits.map((limit) => `| ${limit.what} | ${limit.scope} | ${int(limit.streams)} | ${limit.symptom} | ${limit.from} |`).join('\n')}

**First to break: ${limits[0].what}, in one ${limits[0].scope}, at ${int(limits[0].streams)} streams**: ${limits[0].symptom}.
${capVerdict(s, f)}${maxClientsVerdict(s)}

With the fleet sized above (sections 4, 5 with \`STREAM_TTL_S=${plan600.ttl}\`, 7), the resource that
runs out first as the load grows past ${int(a.streams)} streams:

| resource | streams it carries at 100 % | from |
|---|---:|---|
${fleet.map((row) => `| ${row.what} | ${int(row.streams)} | ${row.from} |`).join('\n')}

So the fleet first runs short of **${first.what}** at ${int(first.streams)} streams (the CPU rows
are at 100 %, not at the ${a.cpuTarget * 100} % target the fleet was sized to).

## 9. Settings

### App (per process)

| setting | value | why |
|---|---|---|
| \`MAX_CONCURRENT_STREAMS\` | ${int(s.app.maxConcurrent)} | 85 % of the ${int(s.app.streamsAtFullCore)} streams that fill a core (section 4); redo for another token rate |
| \`node --max-old-space-size\` | ${int(s.app.oldSpaceMb)} | twice the ${bytes(s.app.heapAtCap)} of heap at the cap: GC headroom, and a leak shows as a restart, not as a swapping host |
| \`nofile\` (\`LimitNOFILE\`, \`ulimit -n\`, compose \`ulimits\`) | ≥ ${up(s.app.fdsAtCap * 2)} | ${int(s.app.fdsAtCap)} at the cap, doubled |
| \`REDIS_URL\` / cluster nodes | the cluster of section 5 | the memory log cannot resume a stream on another instance; \`MEMORY_LOG_MAX_*\` then do not apply |
| \`MEMORY_LOG_MAX_STREAMS\`, \`MEMORY_LOG_MAX_BYTES\` (memory log only) | ≥ ${up(memoryLogStreams)}, ≥ ${bytes(memoryLogStreams * s.redis.finishedBytesPerStream)} | a process starts ${num(startsPerProcess)} streams/s and keeps each ${a.ttlDefault} s; bytes per stream taken from Redis's (${f.redisMem100.id}, ${f.redisMem1000.id}), the memory log's own size per stream is not measured |
| \`STREAM_TTL_S\` | ${plan120.shards < plan600.shards ? `${a.ttlShort}` : `${a.ttlDefault} (default)`} | ${plan120.shards < plan600.shards ? `section 5: ${plan120.shards} shards instead of ${plan600.shards}` : 'section 5: Redis is sized by CPU, the default fits in that memory'} |
| \`UV_THREADPOOL_SIZE\` | leave as is | sockets do not use libuv's thread pool (only DNS lookups, files, crypto do) |
| processes | one per core (e.g. one container per core, or a process manager) | Node's event loop is one thread |

### nginx (per node of ${a.nginxCoresPerNode} cores)

\`\`\`nginx
worker_processes auto;
worker_rlimit_nofile ${int(s.nginx.rlimitNofile).replace(/,/g, '')};
events {
  worker_connections ${int(s.nginx.workerConnections).replace(/,/g, '')};
  multi_accept on;
}
http {
  upstream gateway {
    least_conn;
    # one line per app process (its own address:port): spreads ephemeral ports and balances
    # on what each process really holds
    server 10.0.1.1:3000;
    server 10.0.1.1:3001;
    # ...
    keepalive 64;  # reuse between streams; a running stream holds its own connection
  }
  server {
    listen 80 backlog=${int(Math.max(4096, s.startsPerSecond / s.nginx.nodes)).replace(/,/g, '')} reuseport;
    # the rest as in nginx/nginx.conf (proxy_buffering off on streaming routes, 300 s read timeout)
  }
}
\`\`\`

The shipped nginx/nginx.conf has \`worker_connections 16384\` and \`worker_rlimit_nofile 40000\`:
without the latter a worker inherits the service's soft \`nofile\`, which is often
${a.nofileDefault}, and stops at ${int(a.nofileDefault / f.nginxFds.value)} streams.

### Kernel

| setting | nginx node | app host | Redis host | why |
|---|---:|---:|---:|---|
| \`fs.file-max\` | ≥ ${up(s.nginx.connectionsPerNode * 2)} | ≥ ${up(s.app.fdsAtCap * a.appCoresPerHost * 2)} | default | all fds of the machine, doubled; here ${sysctl(scaling, 'fs.file-max')} |
| \`fs.nr_open\` | ≥ ${up(s.nginx.rlimitNofile)} | default | default | ceiling for one process's \`nofile\`; here ${sysctl(scaling, 'fs.nr_open')} |
| \`nofile\` of the service | ≥ ${up(s.nginx.rlimitNofile)} | ≥ ${up(s.app.fdsAtCap * 2)} | ≥ ${up(s.redis.connectionsPerShard * 2)} | section 4, 7; Redis: one fd per client |
| \`net.ipv4.ip_local_port_range\` | 1024 65535 | 1024 65535 | default | upstream connections (nginx) and calls to the LLM (app); here ${portRange.join(' ')} |
| \`net.ipv4.tcp_tw_reuse\` | 1 | 1 | default | reuse TIME_WAIT ports for new outgoing connections |
| \`net.core.somaxconn\` | ≥ 4096 | ≥ 4096 | ≥ 4096 | accept queue ceiling; here ${sysctl(scaling, 'net.core.somaxconn')} |
| \`net.ipv4.tcp_max_syn_backlog\` | ≥ 8192 | ≥ 4096 | default | bursts of ${int(s.startsPerSecond / s.nginx.nodes)} new clients/s per node; here ${sysctl(scaling, 'net.ipv4.tcp_max_syn_backlog')} |
| \`net.ipv4.tcp_mem\` (pages) | ≥ ${up((s.nginx.streamsPerNode * 2 * 64 * 1024) / 4096)} high | default | default | 64 KiB in flight per socket at most; idle streams hold almost none; here ${sysctl(scaling, 'net.ipv4.tcp_mem')} |
| \`net.netfilter.nf_conntrack_max\` | ≥ ${up(s.nginx.conntrackPerNode * 2)} or NOTRACK | ≥ ${up(s.app.maxConcurrent * a.appCoresPerHost * 4)} | default | section 7; here ${int(conntrackMax)} |

The app listens with a backlog of 4096 (capped by \`net.core.somaxconn\`). With Node's default of
511, while bench:scaling opened streams faster than a busy process accepted them, its accept queue
overflowed and nginx answered 502 (\`recv() failed (104: Connection reset by peer)\`). Spread over ${int(s.app.processes)} processes the
${int(s.startsPerSecond)} starts/s are ${num(s.startsPerSecond / s.app.processes)} per process per second,
far from it; a restart that sends a dead host's clients back at once is not.

### Redis (per shard)

\`maxmemory ${bytes(a.redisShardBytes).replace(' ', '').replace('GiB', 'gb')}\` with \`maxmemory-policy noeviction\` (an evicted
stream would lose events; the app reports failed appends instead), \`maxclients\` ≥ ${up(s.redis.connectionsPerShard * 1.5)},
no RDB snapshots on primaries (the fork copies ${bytes(chosen.memoryPerShard)} of pages), a
replica per primary, cluster mode with sharded pub/sub.

## 10. What this does not cover

- The LLM provider: ${int(s.startsPerSecond)} requests/s and ${int(s.tokensPerSecond)} tokens/s
  to it are the provider's problem, and its rate limits come first in practice.
- TLS: nginx terminates it in production; not measured here (it adds CPU per byte and per handshake).
- The test path is loopback: no network latency, no packet loss, no bandwidth limit.
- Tokens are the bench's short words: longer chunks cost more bytes in Redis and on the wire.
`;
}

/** Renders docs/SCALING.md from the two result files; throws when a figure it needs is missing. */
export async function renderScaling(strict = false): Promise<void> {
  const latest = JSON.parse(readFileSync(LATEST_JSON, 'utf8')) as BenchResults;
  const scaling = JSON.parse(readFileSync(SCALING_JSON, 'utf8')) as ScalingResults;
  const book = new FigureBook({ [LATEST_JSON]: latest, [SCALING_JSON]: scaling }, strict);
  const figures = collectFigures(book);
  const sizing = size(figures);
  const markdown = sections(figures, sizing, latest, scaling, book);
  const config = await resolveConfig(SCALING_MD);
  writeFileSync(SCALING_MD, await format(markdown, { ...config, filepath: SCALING_MD }));
  for (const warning of book.warnings) console.warn(`bench:scaling: pending: ${warning}`);
  console.log(`bench:scaling: wrote ${SCALING_MD}`);
}
