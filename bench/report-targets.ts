import {
  burstCpuPerToken,
  cpuPerToken,
  relayByKey,
  setupCpuPerStream,
  type BenchResults,
} from './bench-results';
import { RELAY } from './relays';
import { round } from './support/stats';

/** Issue 11's bounds. */
export const TARGET = {
  cpuRatio: 1.2,
  setupRatio: 1.2,
  heapRatio: 1.5,
  openStreams: 9_000,
  ttftDirectMs: 1,
  ttftNginxMs: 2,
} as const;

export function verdict(value: number | undefined, target: number, unit = ''): string {
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  return value <= target
    ? `met (target ≤ ${target}${unit})`
    : `**missed by ${round(value - target)}${unit}** (target ≤ ${target}${unit})`;
}

const ratioOf = (value: number, base: number): number | undefined =>
  Number.isFinite(value) && Number.isFinite(base) && base > 0 ? round(value / base) : undefined;

interface TargetRow {
  target: string;
  where: string;
  figure: string;
  verdict: string;
}

function cpuRows(results: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const key of [RELAY.fastPath, RELAY.fastPathRedis]) {
    const relay = relayByKey(results, key);
    if (!relay) continue;
    const sdkRamped = cpuPerToken(results, RELAY.openaiSdk);
    const sdkBurst = burstCpuPerToken(results, RELAY.openaiSdk);
    const sdkSetup = setupCpuPerStream(results, RELAY.openaiSdk);
    const ramped = ratioOf(cpuPerToken(results, key), sdkRamped);
    const burst = ratioOf(burstCpuPerToken(results, key), sdkBurst);
    const setup = ratioOf(setupCpuPerStream(results, key), sdkSetup);
    rows.push(
      {
        target: '1. CPU per token, ramped, ≤ 1.2× openai-SDK relay',
        where: `throughput.ramped, ${key}`,
        figure: `${ramped ?? '–'}× (${cpuPerToken(results, key)} vs ${sdkRamped} µs)`,
        verdict: verdict(ramped, TARGET.cpuRatio, '×'),
      },
      {
        target: '1. CPU per token, burst, ≤ 1.2× openai-SDK relay',
        where: `throughput.burst, ${key}`,
        figure: `${burst ?? '–'}× (${burstCpuPerToken(results, key)} vs ${sdkBurst} µs)`,
        verdict: verdict(burst, TARGET.cpuRatio, '×'),
      },
      {
        target: '1. CPU per 2-token stream (setup) ≤ 1.2× openai-SDK relay',
        where: `setup, ${key}`,
        figure: `${setup ?? '–'}× (${setupCpuPerStream(results, key)} vs ${sdkSetup} µs)`,
        verdict: verdict(setup, TARGET.setupRatio, '×'),
      },
    );
  }
  return rows;
}

function openStreamRows(results: BenchResults): TargetRow[] {
  const sdk = relayByKey(results, RELAY.openaiSdk)?.concurrency;
  const rows: TargetRow[] = [];
  for (const key of [RELAY.fastPath, RELAY.fastPathRedis]) {
    const ours = relayByKey(results, key)?.concurrency;
    if (!ours) continue;
    const heap = ratioOf(ours.heapPerStreamKb ?? Number.NaN, sdk?.heapPerStreamKb ?? Number.NaN);
    rows.push({
      target: '2. heap per open stream (after forced GC) ≤ 1.5× openai-SDK relay',
      where: `openStreams, ${key}`,
      figure: `${heap ?? '–'}× (${ours.heapPerStreamKb} vs ${sdk?.heapPerStreamKb} KB; RSS ${ours.rssPerStreamKb} vs ${sdk?.rssPerStreamKb} KB)`,
      verdict: verdict(heap, TARGET.heapRatio, '×'),
    });
    const all = ours.completed === ours.openStreams && ours.failed === 0;
    const reached = ours.openStreams >= TARGET.openStreams;
    rows.push({
      target: '3. 9,000 open streams in one process, every one completing',
      where: `openStreams, ${key}`,
      figure: `${ours.completed} of ${ours.openStreams} completed, ${ours.failed} failed; ${ours.openAtPlateau ?? '?'} open at once at the plateau`,
      verdict:
        all && reached
          ? 'met'
          : `**missed**: ${reached ? '' : `only ${ours.openStreams} opened in this ${results.mode} run; `}${ours.openStreams - ours.completed} did not complete`,
    });
    const lagOver =
      sdk === undefined ? undefined : round(ours.interTokenLagP99Ms - sdk.interTokenLagP99Ms);
    rows.push({
      target: '3. inter-token lag p99 no worse than the openai-SDK relay at the same count',
      where: `openStreams, ${key}`,
      figure: `${ours.interTokenLagP99Ms} vs ${sdk?.interTokenLagP99Ms} ms`,
      verdict:
        lagOver === undefined
          ? 'not measured'
          : lagOver <= 0
            ? 'met'
            : `**missed by ${lagOver} ms**`,
    });
  }
  return rows;
}

function ttftRows(results: BenchResults): TargetRow[] {
  const direct = results.directLatency.p50;
  const ours = relayByKey(results, RELAY.fastPath);
  const nginx = results.gateway.latencyThroughNginx;
  const added = ours ? round(ours.latency.p50 - direct) : undefined;
  const addedNginx = nginx ? round(nginx.p50 - direct) : undefined;
  return [
    {
      target: '4. added time to first token p50 ≤ 1 ms',
      where: `latency, ${RELAY.fastPath}`,
      figure: `${added} ms`,
      verdict: verdict(added, TARGET.ttftDirectMs, ' ms'),
    },
    {
      target: '4. added time to first token p50 through nginx ≤ 2 ms',
      where: 'gateway.latencyThroughNginx',
      figure: `${addedNginx} ms`,
      verdict: verdict(addedNginx, TARGET.ttftNginxMs, ' ms'),
    },
  ];
}

function viewRows(results: BenchResults): TargetRow[] {
  const wanted = [
    RELAY.fastPath,
    RELAY.viewOpenai,
    RELAY.viewUi,
    RELAY.viewHtmx,
    RELAY.noopCallback,
    RELAY.traced,
    RELAY.agent,
    RELAY.fastPathRedis,
  ];
  const missing = wanted.filter((key) => !Number.isFinite(cpuPerToken(results, key)));
  return [
    {
      target: '5. every view and pipeline with its CPU per token',
      where: 'relays[], see the tables below',
      figure: `${wanted.length - missing.length} of ${wanted.length} rows`,
      verdict: missing.length === 0 ? 'met' : `**missing**: ${missing.join(', ')}`,
    },
  ];
}

/** The summary table at the top of the report: each issue-11 target, met or by how much not. */
export function targetsSection(results: BenchResults): string {
  const rows = [
    ...cpuRows(results),
    ...openStreamRows(results),
    ...ttftRows(results),
    ...viewRows(results),
  ];
  return [
    '| target (issue 11) | where in latest.json | figure | verdict |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.target} | \`${row.where}\` | ${row.figure} | ${row.verdict} |`),
  ].join('\n');
}
