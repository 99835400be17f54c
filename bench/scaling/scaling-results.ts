import type { FanoutRow } from './redis-fanout';
import type { FinishedStreamMemory } from './redis-memory';
import type { OpenStreamsResult } from './open-streams';
import type { ThroughNginxResult } from './through-nginx';

/** What `npm run bench:scaling` writes to bench/results/scaling.json. */
export interface ScalingResults {
  when: string;
  mode: 'quick' | 'full';
  commit: string;
  machine: {
    cores: number;
    memoryBytes: number;
    loadBefore: number[];
    loadAfter: number[];
    nginxVersion: string;
    redisVersion: string;
    nofile: string;
    sysctl: Record<string, string>;
  };
  openStreams: OpenStreamsResult;
  throughNginx: ThroughNginxResult;
  finishedStreams: FinishedStreamMemory[];
  fanout: FanoutRow[];
}
