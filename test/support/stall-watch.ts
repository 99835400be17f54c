import type { StreamLog } from '../../src/stream-log/stream-log';
import { sleep } from './wait-for';

/** How far a stream had got in the log, and since when it has not moved. */
export interface LogProgress {
  lastId: number;
  /** performance.now() when `lastId` was first seen. */
  since: number;
}

/**
 * Follows how many events a stream has in the stream log (the port itself, memory or Redis), so
 * a test can tell when the gateway stopped pulling from the upstream: nothing new is logged.
 */
export class StallWatch {
  private progress: LogProgress = { lastId: -1, since: performance.now() };

  constructor(
    private readonly log: StreamLog,
    private readonly key: string,
  ) {}

  /** Reads what was appended since the last look; cheap, it pages from the last id. */
  async look(): Promise<LogProgress> {
    for (;;) {
      const batch = await this.log.range(this.key, this.progress.lastId, 1_000);
      if (batch.length === 0) return this.progress;
      this.progress = { lastId: batch[batch.length - 1].id, since: performance.now() };
    }
  }

  /**
   * Resolves once events were logged and then nothing more for `quietMs`: the stream is stalled
   * (or ended). Throws after `timeoutMs`.
   */
  async untilQuiet(options: { quietMs: number; timeoutMs: number }): Promise<LogProgress> {
    const deadline = performance.now() + options.timeoutMs;
    for (;;) {
      const progress = await this.look();
      if (progress.lastId >= 0 && performance.now() - progress.since >= options.quietMs) {
        return progress;
      }
      if (performance.now() > deadline) {
        throw new Error(`stream ${this.key} never went quiet; last id ${progress.lastId}`);
      }
      await sleep(25);
    }
  }
}
