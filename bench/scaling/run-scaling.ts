import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { describeMachine } from './machine';
import { measureOpenStreams } from './open-streams';
import { measureFanout } from './redis-fanout';
import { measureFinishedStreams } from './redis-memory';
import { renderScaling } from './render-scaling';
import type { ScalingResults } from './scaling-results';
import { startStack } from './stack';
import { measureThroughNginx } from './through-nginx';

export const SCALING_JSON = 'bench/results/scaling.json';

function commit(): string {
  const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    return (
      git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', 'src') ? '+changes' : '')
    );
  } catch {
    return 'unknown';
  }
}

/** Rounds every number to 2 decimals, so the JSON diff between runs stays readable. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toFixed(2));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rounded(inner)]));
  }
  return value;
}

async function measure(quick: boolean): Promise<void> {
  const machine = describeMachine();
  const step = (what: string): void => console.log(`bench:scaling: ${what}`);
  step('Redis pub/sub fan-out');
  const fanout = await measureFanout(quick);
  step('nginx → gateway → Redis on loopback');
  const stack = await startStack();
  try {
    step('open streams');
    const openStreams = await measureOpenStreams(stack, quick ? 500 : 2000, quick ? 30 : 120);
    step('CPU per token and per stream set-up through nginx');
    const throughNginx = await measureThroughNginx(stack, quick);
    step('Redis memory per finished stream');
    const finishedStreams = await measureFinishedStreams(stack, quick);
    const results: ScalingResults = {
      when: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      commit: commit(),
      machine: { ...machine, loadAfter: loadavg().map((value) => Number(value.toFixed(2))) },
      openStreams,
      throughNginx,
      finishedStreams,
      fanout,
    };
    writeFileSync(SCALING_JSON, `${JSON.stringify(rounded(results), null, 2)}\n`);
    step(`wrote ${SCALING_JSON}`);
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (!args.includes('--render-only')) await measure(args.includes('--quick'));
  await renderScaling(args.includes('--strict'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
