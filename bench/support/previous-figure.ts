import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpuPerToken, relayByKey, type BenchResults } from '../bench-results';
import { RELAY } from '../relays';

/** The fast path's figure from the last full run before this one, to compare against. */
export interface PreviousFigure {
  /** When that run was made. */
  when: string;
  /** The commit that last recorded bench/results/latest.json, i.e. that run's results. */
  commit?: string;
  cpuMicrosPerToken: number;
  samples?: number[];
  /** The openai-SDK relay in that run: a yardstick for how fast that machine was then. */
  openaiSdkCpuMicrosPerToken?: number;
}

/**
 * Reads the fast path's figure from the results file this run is about to replace. A quick run
 * is no yardstick: it passes on the full run's figure it was itself compared with.
 */
export function previousFastPathFigure(path: string): PreviousFigure | undefined {
  if (!existsSync(path)) return undefined;
  const results = JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
  if (results.mode !== 'full') return results.previousFastPath;
  const fastPath = relayByKey(results, RELAY.fastPath);
  if (!fastPath) return undefined;
  const sdk = cpuPerToken(results, RELAY.openaiSdk);
  return {
    when: results.when,
    commit: lastCommitOf(path),
    cpuMicrosPerToken: fastPath.throughput.cpuMicrosPerToken,
    samples: fastPath.throughput.samples,
    openaiSdkCpuMicrosPerToken: Number.isNaN(sdk) ? undefined : sdk,
  };
}

/** Undefined when the file has changes of its own: then no commit holds these results. */
function lastCommitOf(path: string): string | undefined {
  const status = spawnSync('git', ['status', '--porcelain', '--', path], { encoding: 'utf8' });
  if (status.status !== 0 || status.stdout.trim() !== '') return undefined;
  const git = spawnSync('git', ['log', '-1', '--format=%h', '--', path], { encoding: 'utf8' });
  const commit = git.stdout.trim();
  return git.status === 0 && commit !== '' ? commit : undefined;
}

/** This checkout's commit, with `+changes` when src/ differs from it. */
export function currentCommit(): string | undefined {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : '+changes'}`;
}
