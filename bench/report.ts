import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  burstCpuPerToken,
  cpuPerToken,
  relayByKey,
  setupCpuPerStream,
  type BenchResults,
  type RelayResult,
} from './bench-results';
import { RELAY } from './relays';
import { pipelinesSection } from './report-pipelines';
import { redisSection } from './report-redis';
import { targetsSection, TARGET, verdict } from './report-targets';
import { writeBarChart } from './support/chart';
import { round } from './support/stats';

export type { BenchResults, RelayResult } from './bench-results';

function passesText(results: BenchResults): string {
  const passes = results.relays[0]?.throughput.samples?.length ?? 1;
  return passes === 1 ? 'one pass' : `${passes} round-robin passes`;
}

function loadLine(results: BenchResults): string {
  const { load } = results;
  if (!load) return "The machine's load was not recorded.";
  return `Load average (1/5/15 min) on this ${load.cores}-core machine: ${load.before.join(' / ')} before the run, ${load.after.join(' / ')} after it, 1-minute peak ${load.peak1m} during it. The bench itself accounts for up to 2 of that while it measures (a relay on one core, load generator and fakes on the other); the last column of the throughput table shows what others took from the relay's core.`;
}

const ratioText = (value: number, base: number): string =>
  Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${round(value / base)}×` : '–';

function throughputRows(results: BenchResults): string[] {
  const sdk = cpuPerToken(results, RELAY.openaiSdk);
  const sdkBurst = burstCpuPerToken(results, RELAY.openaiSdk);
  const sdkSetup = setupCpuPerStream(results, RELAY.openaiSdk);
  const added = (relay: RelayResult): string =>
    `${round(relay.latency.p50 - results.directLatency.p50)} / ${round(relay.latency.p99 - results.directLatency.p99)}`;
  return results.relays.map((relay) => {
    const key = relay.key ?? '';
    const name = relay.ours ? `**${relay.name}**` : relay.name;
    const passes = (samples: number[] | undefined): string =>
      samples && samples.length > 1 ? ` (${samples.join(', ')})` : '';
    const { throughput: ramped, burst, setup } = relay;
    return [
      `| ${name} | \`${key}\``,
      `${ramped.cpuMicrosPerToken}${passes(ramped.samples)}`,
      ratioText(ramped.cpuMicrosPerToken, sdk),
      `${burst?.cpuMicrosPerToken ?? '–'}${passes(burst?.samples)}`,
      ratioText(burstCpuPerToken(results, key), sdkBurst),
      `${setup?.cpuMicrosPerStream ?? '–'}${passes(setup?.samples)}`,
      ratioText(setupCpuPerStream(results, key), sdkSetup),
      added(relay),
      `${ramped.othersOnRelayCorePercent ?? '–'} |`,
    ].join(' | ');
  });
}

function viewsTable(results: BenchResults): string {
  const views = [
    {
      key: RELAY.fastPath,
      view: 'native `POST /api/chat/stream`',
      token: '`data: {"content":"…"}`',
    },
    {
      key: RELAY.viewOpenai,
      view: 'OpenAI `POST /v1/chat/completions`',
      token: 'a `chat.completion.chunk` with `delta.content`',
    },
    {
      key: RELAY.viewUi,
      view: 'AI SDK `POST /api/ui/chat`',
      token: '`{"type":"text-delta","id","delta"}` with an `id:` line',
    },
    {
      key: RELAY.viewHtmx,
      view: 'htmx `POST /htmx/chat`',
      token: 'an out-of-band `<div hx-swap-oob><span>…</span></div>` fragment',
    },
  ];
  const fast = relayByKey(results, RELAY.fastPath);
  const rows = views.flatMap(({ key, view, token }) => {
    const relay = relayByKey(results, key);
    if (!relay || !fast) return [];
    const r = relay.throughput.cpuMicrosPerToken;
    const b = relay.burst?.cpuMicrosPerToken ?? Number.NaN;
    const s = relay.setup?.cpuMicrosPerStream ?? Number.NaN;
    return [
      `| ${view} | ${token} | ${r} (${ratioText(r, fast.throughput.cpuMicrosPerToken)}) | ${b} (${ratioText(b, fast.burst?.cpuMicrosPerToken ?? Number.NaN)}) | ${s} (${ratioText(s, fast.setup?.cpuMicrosPerStream ?? Number.NaN)}) | ${ratioText(r, cpuPerToken(results, RELAY.openaiSdk))} |`,
    ];
  });
  return [
    '| view (chat, fast path, log in memory) | one token on the wire | ramped µs/token (vs native) | burst µs/token (vs native) | setup µs/stream (vs native) | ramped vs openai SDK relay |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function openStreamsTable(results: BenchResults): string {
  const rows = [RELAY.openaiSdk, RELAY.fastPath, RELAY.fastPathRedis].flatMap((key) => {
    const relay = relayByKey(results, key);
    const c = relay?.concurrency;
    if (!relay || !c) return [];
    const mb = (bytes: number | undefined): string =>
      bytes === undefined ? '–' : `${round(bytes / 1024 / 1024, 1)}`;
    return [
      `| ${relay.name} | ${c.openStreams} | ${c.openAtPlateau ?? '–'} | ${c.completed} (${c.failed}${c.failures ? `: ${c.failures.join('; ')}` : ''}) | ${c.openedInMs === undefined ? '–' : round(c.openedInMs / 1000, 1)} | ${c.heapPerStreamKb ?? '–'} | ${c.externalPerStreamKb ?? '–'} | ${c.rssPerStreamKb} / ${c.rssAfterGcPerStreamKb ?? '–'} | ${mb(c.heapIdle?.heapUsed)} → ${mb(c.heapPlateau?.heapUsed)} | ${c.forcedGcMs ?? '–'} | ${c.interTokenLagP50Ms} / ${c.interTokenLagP99Ms} |`,
    ];
  });
  return [
    '| relay | streams | open at the plateau | completed (failed) | opened in (s) | heap per stream after GC (KB) | external per stream (KB) | RSS per stream: before / after the GC (KB) | heap after GC, idle → plateau (MB) | forced GC (ms) | inter-token lag p50 / p99 (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function markdown(results: BenchResults): string {
  const { gateway: g, plan } = results;
  const passes = passesText(results);
  return `# Benchmarks

Generated by \`npm run bench${results.mode === 'quick' ? ':quick' : ''}\` on ${results.when}${results.commit ? ` at commit ${results.commit}` : ''} (${results.mode} run${results.pinned ? '; relay pinned to core 1, load and fake upstream to core 0 with taskset' : '; taskset not found, nothing pinned'}).
${loadLine(results)}
Every relay streams from the same fake OpenAI-compatible upstream (\`test/support\`), measured in
the same run. CPU is read from the relay process itself (\`/proc/<pid>/stat\`); memory as the
heap after a forced GC (\`--expose-gc\` and a preloaded probe, \`bench/support/heap-probe.ts\`)
with RSS beside it. Ratios within one run are what we defend; absolute numbers depend on the
machine and on what else it was doing.

## Issue 11's targets

${targetsSection(results)}

The "where" column names the figure in \`bench/results/latest.json\`: \`throughput.ramped, <key>\`
is \`relays[key=<key>].throughput\`, \`throughput.burst\` is \`.burst\`, \`setup\` is \`.setup\`,
\`openStreams\` is \`.concurrency\`; Redis figures are under \`redis\`.

### Where the rest of the cost goes, and why it stays

Profiled with \`node --cpu-prof\` (the gateway's fast path and the openai-SDK relay, after a
warm-up, 200 ramped streams against the same fake upstream) and \`strace -c\` (1,000 two-token
streams):

- **Shared with the SDK relay**: the openai client's request and the HTTP client under it, about
  16 % of the gateway's CPU; the SDK relay pays the same.
- **LangChain, per request**: every call goes through its retry-and-queue wrapper even with no
  retries, and LangChain builds its own request parameters and messages. The fast path's check
  reads the tracing environment per request (LangChain reads it per call, so caching it would
  let tracing switch on unnoticed).
- **LangChain, per token**: a message chunk and a generation chunk per token (the message object
  alone is about 3 % of CPU in the ramped run). Avoiding them means bypassing LangChain's chat
  model, which would drop the callbacks and tracing this service promises to keep.
- **Nest and validation**: routing, guards and the validation pipe; validating the chat body
  alone costs 8–26 µs per request.
- **Protocol**: the \`start\` event (request id, model) that the SDK relay does not send is one
  more socket write per stream (4 writes per stream against the SDK relay's 3; it was 6 before
  the SseWriter stopped corking on its own and started sending the headers with the preamble and
  the end of the stream in one write); ids and event names make frames larger.
- **Garbage collection**: about 60 % more than the SDK relay, from LangChain's per-token objects
  and the event strings; the memory log keeps finished streams on purpose (resume).
- **Our own per-token code** is small: about 0.14 µs per event per async-generator layer.
- **Time to first token**: the openai-SDK relay itself adds 1.3–1.8 ms (across runs) over
  reading the upstream directly on this machine (table below); a relay that parses with the same
  SDK plus LangChain and Nest cannot add less than that, so the ≤ 1 ms target is below what the
  SDK relay does here.
- **Inter-token lag at 9,000 open streams**: the lag's p99 follows V8's full collections of a
  heap of about 600 MB (the forced GC at the plateau took 2.8 s in the gateway against 1.7 s in
  the SDK relay, whose heap is 450 MB): each open stream holds about 10 KB more (LangChain's
  run state, the log's events) and the memory log keeps finished streams for resume. The median
  lag is the SDK relay's.
- **Redis log vs memory log process size**: heap after a forced GC is the same (heap snapshots at
  a plateau of 1,000 open streams: 125.3 MB Redis vs 126.4 MB memory, no constructor differing by
  more than 0.5 MB). The Redis process's larger RSS is short-lived ioredis objects (commands, RESP
  strings, auto-pipeline promises) that live until Redis answers and, under load, are promoted to
  V8's old space before a full GC frees them. A stream's write is now one command (its entries,
  TTL, finish and wake-up in one script) instead of an XADD per event, an EXPIRE pair and a
  PUBLISH; \`--max-semi-space-size=64\` shrinks what is left (peak RSS 629 → 479 MB in the same
  1,000-stream run).

![CPU per relayed token, ramped](results/throughput.svg)
![CPU per relayed token, burst](results/throughput-burst.svg)
![CPU per 2-token stream](results/setup.svg)

## Throughput, burst, setup and time to first token

- **ramped** (\`relays[].throughput\`): ${plan.streams} streams × ${plan.tokens} tokens, ${plan.gapMs} ms apart, opened 100 every 20 ms.
- **burst** (\`relays[].burst\`): the same ${plan.streams} streams opened all at once.
- **setup** (\`relays[].setup\`): ${plan.setupStreams} streams of 2 tokens, ${plan.setupConcurrency} at a time (a tenth more first, as warm-up): CPU per stream, i.e. what a stream's start and end cost.

Measured in ${passes} over all relays; each pass and relay: a full-size ramped warm-up, then
${plan.rounds} measured load${plan.rounds === 1 ? '' : 's'} of each shape, then the setup streams; the figure is the median of
the passes (each pass in parentheses). CPU counts until the relay is idle again after the load
(anything it still does for those streams, such as uploading traces, is theirs). Then one stream
at a time for time to first token (TTFT), minus reading the upstream directly (p50
${results.directLatency.p50} ms, p99 ${results.directLatency.p99} ms). The last column is the share
of the relay's core that other processes took during its ramped load.

| relay | key | ramped CPU µs per token | vs openai SDK | burst CPU µs per token | vs openai SDK | setup CPU µs per stream | vs openai SDK | added TTFT p50 / p99 (ms) | others on relay core (%) |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
${throughputRows(results).join('\n')}

## Protocol views

The same fast path (chat pipeline, log in memory) through each view: each frames a token
differently, and the bench counts each view's own token frames (\`bench/support/relay-request.ts\`).

${viewsTable(results)}

## Many open streams

Each relay fresh, started with \`node --expose-gc --require heap-probe.js\`, against a fake
upstream in its own process (so this process, the relay and the upstream each hold their own
sockets under the 20,000 descriptor limit). After a warm-up of 200 short streams and a forced GC
at idle, ${plan.open} streams of ${plan.slowTokens} tokens ${plan.openGapMs / 1000} s apart, opened ${plan.openPerSecond} a second (faster overran
the relay's core and its accept queue: resets); at the plateau
RSS, then a forced GC and \`process.memoryUsage()\` (per stream = plateau minus idle, divided by
the streams), then every stream to its end. Inter-token lag is the time between two tokens beyond
the ${plan.openGapMs / 1000} s, leaving out the gaps that span the forced GC (it stalls the relay). At ${plan.open} streams a
token every ${plan.openGapMs / 1000} s is ${Math.round(plan.open / (plan.openGapMs / 1000))} tokens a second. The memory-log relay keeps each finished stream for
\`STREAM_TTL_S\` (its idle heap includes the warm-up's streams; the difference counts the open
ones only).

${openStreamsTable(results)}

${redisSection(results)}

## What one user waits for

One question at a time (p50). A non-streaming endpoint would show nothing until the whole
answer is done; here the status line, the request id and the first words arrive almost at once.

| model | first byte (headers, request id) | first token | whole answer | tokens |
|---|---:|---:|---:|---:|
| built-in demo model (60 ms per word) | ${g.singleDemo?.timeToFirstByteMs} ms | ${g.singleDemo?.timeToFirstTokenMs} ms | ${g.singleDemo?.fullAnswerMs} ms | ${g.singleDemo?.tokens} |
| fake OpenAI upstream (20 ms per token) | ${g.singleFakeUpstream?.timeToFirstByteMs} ms | ${g.singleFakeUpstream?.timeToFirstTokenMs} ms | ${g.singleFakeUpstream?.fullAnswerMs} ms | ${g.singleFakeUpstream?.tokens} |

## Cancel and resume (this service only)

| measurement | p50 (ms) | p99 (ms) | target |
|---|---:|---:|---|
| DELETE → upstream socket closed, same instance | ${g.cancelSameInstance?.p50} | ${g.cancelSameInstance?.p99} | p99 ≤ 10 ms: ${verdict(g.cancelSameInstance?.p99, 10)} |
| DELETE on B → A's upstream socket closed (Redis) | ${g.cancelCrossInstance?.p50} | ${g.cancelCrossInstance?.p99} | p99 ≤ 25 ms: ${verdict(g.cancelCrossInstance?.p99, 25)} |
| replay a finished 1,000-event stream, memory log | ${g.resumeMemory?.p50} | ${g.resumeMemory?.p99} | p50 ≤ 10 ms: ${verdict(g.resumeMemory?.p50, 10)} |
| replay a finished 1,000-event stream, Redis log | ${g.resumeRedis?.p50} | ${g.resumeRedis?.p99} | p50 ≤ 10 ms: ${verdict(g.resumeRedis?.p50, 10)} |

Cancel times have millisecond resolution (both ends read \`Date.now()\`).

${pipelinesSection(results)}

## Sizes and time

The full run takes about 30 minutes on this 2-core machine: ${results.relays.length} relays × 3 passes × (warm-up,
ramped, burst, setup), then TTFT, cancel, resume and the open streams. To fit, a pass measures one
load of each shape (${plan.streams * plan.tokens} tokens, 5 s or more of CPU per relay, where the 10 ms clock tick
is 0.2 %) instead of two; the three passes' spread is shown beside each median. The quick run
(\`npm run bench:quick\`) uses 200 streams × 50 tokens, two loads, one pass and 1,000 open streams:
its ratios are indicative only.

## The peers

Each is a minimal, honest relay in \`bench/peers/\`: \`raw-pipe\` (bytes piped, no parsing: the
floor), \`express-openai-sdk\` (the common Express SSE shape), \`express-langchain\` (naive
\`ChatOpenAI.stream()\` relay), \`ai-sdk\` (Vercel AI SDK \`streamText\`), \`nest-sse\` (NestJS
\`@Sse()\` over LangChain, GET only, as the tutorials write it). The gateway's own relays are
\`dist/main.js\` with different settings, and \`gateway-noop-callback\` (the same app plus a
bench-only pipeline).
`;
}

export async function writeReport(results: BenchResults): Promise<void> {
  const root = process.cwd();
  const sdk = cpuPerToken(results, RELAY.openaiSdk);
  writeFileSync(
    join(root, 'bench', 'results', 'latest.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  writeFileSync(join(root, 'bench', 'README.md'), markdown(results));
  const charts = [
    {
      file: 'throughput.svg',
      title: `CPU per relayed token, ramped (${results.plan.streams} streams × ${results.plan.tokens} tokens), lower is better`,
      axis: 'CPU µs per token',
      value: (relay: RelayResult) => relay.throughput.cpuMicrosPerToken,
      sdk,
    },
    {
      file: 'throughput-burst.svg',
      title: `CPU per relayed token, burst (${results.plan.streams} streams opened at once), lower is better`,
      axis: 'CPU µs per token',
      value: (relay: RelayResult) => relay.burst?.cpuMicrosPerToken ?? Number.NaN,
      sdk: burstCpuPerToken(results, RELAY.openaiSdk),
    },
    {
      file: 'setup.svg',
      title: `CPU per 2-token stream (start and end), lower is better`,
      axis: 'CPU µs per stream',
      value: (relay: RelayResult) => relay.setup?.cpuMicrosPerStream ?? Number.NaN,
      sdk: setupCpuPerStream(results, RELAY.openaiSdk),
    },
  ];
  for (const chart of charts) {
    await writeBarChart({
      path: join(root, 'bench', 'results', chart.file),
      title: chart.title,
      axisTitle: chart.axis,
      bars: results.relays
        .filter((relay) => Number.isFinite(chart.value(relay)))
        .map((relay) => ({ relay: relay.name, value: chart.value(relay), ours: relay.ours })),
      rule: Number.isFinite(chart.sdk)
        ? {
            value: round(chart.sdk * TARGET.cpuRatio),
            label: `target: ${TARGET.cpuRatio}× openai SDK relay`,
          }
        : undefined,
    });
  }
  process.stdout.write(`${markdown(results)}\n`);
}
