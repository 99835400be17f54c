import type { Leftovers } from './soak-leftovers';
import type { SoakReport } from './soak-runner';

const MB = 1024 ** 2;

export interface SoakFigures {
  label: string;
  seed: number;
  report: SoakReport;
  /** Counted after the warm-up, and after the soak. */
  before: Leftovers;
  after: Leftovers;
  /** Entries the log still held right after the soak, and those left once the TTL passed. */
  entriesAtEnd: number;
  /** Whether the log lives in this heap (memory) or in Redis. */
  logInHeap: boolean;
  entriesLeft: number;
  heapBefore: number;
  heapWithLog: number;
  heapAfter: number;
}

/** The soak's figures, one topic a line, for the console and the report. */
export function describeSoak(figures: SoakFigures): string {
  const { report, before, after, heapBefore, heapWithLog, heapAfter } = figures;
  const { hangUp, cancel } = report.abortLatencyMs;
  const held = figures.logInHeap
    ? `${figures.entriesAtEnd} log entries in memory`
    : `${figures.entriesAtEnd} streams in Redis`;
  const mb = (bytes: number): string => `${(bytes / MB).toFixed(2)} MB`;
  return [
    `soak (${figures.label}) SOAK_SEED=${figures.seed}: ${report.streams} streams, ${report.concurrency} at a time, in ${report.durationMs} ms`,
    `outcomes ${JSON.stringify(report.outcomes)}`,
    `upstream requests of cut-short streams ${JSON.stringify(report.cutShortUpstream)}`,
    `upstream socket closed after a hang-up: p50 ${hangUp.p50} ms, p99 ${hangUp.p99} ms, max ${hangUp.max} ms (${hangUp.count}); ` +
      `after a DELETE's 202: p50 ${cancel.p50} ms, max ${cancel.max} ms (${cancel.count})`,
    `left behind: running ${after.runningStreams}, admission tickets ${after.admissionTickets}, ` +
      `timers ${after.timers - before.timers} over the warm baseline, shutdown-signal listeners ${after.shutdownListeners}, ` +
      `Redis wake channels ${after.wakeChannels}, most socket listeners ${JSON.stringify(after.socketListeners)} ` +
      `(warm ${JSON.stringify(before.socketListeners)}), log entries after the TTL ${figures.entriesLeft}`,
    `heap ${mb(heapBefore)} after the warm-up -> ${mb(heapWithLog)} right after the soak ` +
      `(${held}) -> ${mb(heapAfter)} after expiry: ` +
      `growth ${mb(heapAfter - heapBefore)}`,
  ].join('\n  ');
}
