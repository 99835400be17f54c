import { cpuPerToken, relayByKey, type BenchResults } from './bench-results';
import { RELAY } from './relays';
import { round } from './support/stats';

const PATH_ROWS = [
  RELAY.fastPath,
  RELAY.noopCallback,
  RELAY.tracedUnsent,
  RELAY.traced,
  RELAY.agent,
  RELAY.baseline,
];

function ratio(value: number, base: number): string {
  return Number.isFinite(value) && Number.isFinite(base) ? `${round(value / base)}×` : '–';
}

function pathTable(results: BenchResults): string {
  const fast = cpuPerToken(results, RELAY.fastPath);
  const sdk = cpuPerToken(results, RELAY.openaiSdk);
  const rows = PATH_ROWS.flatMap((key) => {
    const relay = relayByKey(results, key);
    if (!relay) return [];
    const { cpuMicrosPerToken: cpu, tailMicrosPerToken: tail } = relay.throughput;
    const added = key === RELAY.fastPath ? '–' : `${round(cpu - fast, 1)}`;
    return [
      `| ${relay.name} | ${cpu} | ${added} | ${ratio(cpu, fast)} | ${ratio(cpu, sdk)} | ${tail ?? '–'} |`,
    ];
  });
  return [
    '| relay | CPU µs per token | added to the fast path (µs) | vs fast path | vs openai SDK relay | of it, after the last token (µs) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/** `to` minus `from`, pass by pass: relays measured in the same pass saw the same load. */
function perPass(results: BenchResults, to: string, from: string): number[] {
  const later = relayByKey(results, to)?.throughput.samples ?? [];
  const earlier = relayByKey(results, from)?.throughput.samples ?? [];
  return later.map((value, pass) => round(value - (earlier[pass] ?? Number.NaN), 1));
}

/** Where the price of tracing goes: stream()'s plumbing, the tracer's own work, its uploads. */
function tracingBreakdown(results: BenchResults): string {
  const fast = cpuPerToken(results, RELAY.fastPath);
  const traced = cpuPerToken(results, RELAY.traced);
  const steps = [
    {
      name: "`stream()` and LangChain's callback plumbing",
      from: RELAY.fastPath,
      to: RELAY.noopCallback,
      how: 'no-op callback − fast path',
    },
    {
      name: "the tracer's own bookkeeping",
      from: RELAY.noopCallback,
      to: RELAY.tracedUnsent,
      how: 'nothing sent − no-op callback',
    },
    {
      name: 'its uploads to LangSmith',
      from: RELAY.tracedUnsent,
      to: RELAY.traced,
      how: 'tracing on − nothing sent',
    },
  ];
  const parts = steps.map((step) => ({
    ...step,
    us: cpuPerToken(results, step.to) - cpuPerToken(results, step.from),
    passes: perPass(results, step.to, step.from),
  }));
  if (!parts.every((part) => Number.isFinite(part.us))) return '- Tracing: not measured.';
  const total = traced - fast;
  const largest = [...parts].sort((a, b) => b.us - a.us)[0];
  const share = (us: number): string => `${Math.round((100 * us) / total)} %`;
  const verdict =
    largest === parts[2]
      ? 'Tracing costs mostly its HTTP posts.'
      : `Tracing does not cost mostly its HTTP posts: the largest part is ${largest.name}.`;
  const describe = (part: (typeof parts)[number]): string =>
    `${part.name} ${round(part.us, 1)} µs (${share(part.us)}; ${part.how}; pass by pass ${part.passes.join(', ')})`;
  return [
    `- **The price of tracing: +${round(total, 1)} µs per token** (${ratio(traced, fast)} the fast path; pass by pass ${perPass(results, RELAY.traced, RELAY.fastPath).join(', ')}), in three parts: ${parts.map(describe).join('; ')}. ${verdict} Each part is the difference of two relays and carries the noise of both: the pass-by-pass figures show how much.`,
    `- The uploads are the relay's own work: serialising each run (with one \`new_token\` event per token) and sending it; the fake LangSmith received ${results.tracedRuns ?? '?'} runs during the passes. The fake runs inside the bench process (core 0) and its CPU is not counted: only the relay process's is. It asks for no compression; a real LangSmith over TLS that asks for compressed bodies would cost the relay more per upload.`,
  ].join('\n');
}

function agentNotes(results: BenchResults): string {
  const agent = relayByKey(results, RELAY.agent);
  if (!agent) return '- Agent: not measured.';
  const tokens = results.plan.tokens;
  const perRunMs = round((agent.throughput.cpuMicrosPerToken * tokens) / 1000, 1);
  const fastPerRunMs = round((cpuPerToken(results, RELAY.fastPath) * tokens) / 1000, 1);
  return `- **Agent**: a "token" is one answer token, an unnamed \`{"content"}\` event, as for the chat relays (${tokens} per run). But each agent run is more than its answer: two model calls through \`ChatOpenAI\` (the first streams a \`calculator\` call, its arguments in two pieces; the second, after the tool result, streams the ${tokens}-token answer), one tool run, and the \`tool_call\` and \`tool_result\` events, all through LangGraph and \`streamEvents\` v2. All of that is divided by the ${tokens} answer tokens: ${perRunMs} ms of CPU per agent run, against ${fastPerRunMs} ms for a chat answer of the same length on the fast path. Its TTFT in the table above is for an answer without a tool call (one model call through the graph).`;
}

/** The same passes, the same load: the build that made the previous figure, when it was run. */
function baselineLine(results: BenchResults): string[] {
  const now = relayByKey(results, RELAY.fastPath)?.throughput;
  const baseline = relayByKey(results, RELAY.baseline);
  if (!now || !baseline) return [];
  const then = baseline.throughput;
  return [
    `- Same passes, same load: the fast path of ${baseline.name.replace(/^.* at /, '')} relays at ${then.cpuMicrosPerToken} µs per token (passes ${(then.samples ?? []).join(', ')}), today's at ${now.cpuMicrosPerToken} µs (passes ${(now.samples ?? []).join(', ')}): ${ratio(now.cpuMicrosPerToken, then.cpuMicrosPerToken)}; today minus then, pass by pass: ${perPass(results, RELAY.fastPath, RELAY.baseline).join(', ')} µs.`,
  ];
}

function fastPathVerdict(results: BenchResults): string {
  const now = relayByKey(results, RELAY.fastPath)?.throughput;
  const before = results.previousFastPath;
  if (!now || !before)
    return ['- Fast path: no previous figure to compare with.', ...baselineLine(results)].join(
      '\n',
    );
  if (results.mode !== 'full') {
    return [
      `- Fast path: ${now.cpuMicrosPerToken} µs per token in this quick run (shorter streams, one pass), not comparable with the previous full run's ${before.cpuMicrosPerToken} µs; \`npm run bench\` compares.`,
      ...baselineLine(results),
    ].join('\n');
  }
  const sdkNow = cpuPerToken(results, RELAY.openaiSdk);
  const change = round(now.cpuMicrosPerToken - before.cpuMicrosPerToken, 1);
  const where = before.commit ? `commit ${before.commit}, ` : '';
  const sdkThen = before.openaiSdkCpuMicrosPerToken;
  return [
    `- **Fast path now ${now.cpuMicrosPerToken} µs per token** (passes ${(now.samples ?? []).join(', ')}) against **${before.cpuMicrosPerToken} µs** in the previous full run (${where}${before.when}; passes ${(before.samples ?? []).join(', ')}): ${change <= 0 ? `${-change} µs less, not slower` : `${change} µs more`}. Against the openai-SDK relay of the same run: ${ratio(now.cpuMicrosPerToken, sdkNow)} now, ${sdkThen ? ratio(before.cpuMicrosPerToken, sdkThen) : '–'} then.`,
    ...baselineLine(results),
  ].join('\n');
}

/** The report's section on pipelines (issue 2/4): what each way of streaming costs per token. */
export function pipelinesSection(results: BenchResults): string {
  return `## Pipelines: the fast path, \`stream()\` with tracing, the agent

The same ${results.plan.streams} streams × ${results.plan.tokens} tokens as above, in the same round-robin passes; all with the
log in memory. The \`chat\` pipeline takes the fast path (the model's own \`_streamResponseChunks\`)
only when LangChain would configure no callback handler; \`LANGSMITH_TRACING=true\` (pointed at a
fake LangSmith) configures its tracer, so the same request goes through \`stream()\` with callbacks.
"Nothing sent" is tracing with \`LANGSMITH_TRACING_SAMPLING_RATE=0\`: the tracer builds every run,
the LangSmith client drops it before uploading.

${pathTable(results)}

${tracingBreakdown(results)}
${agentNotes(results)}
${fastPathVerdict(results)}`;
}
