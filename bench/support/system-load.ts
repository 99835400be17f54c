import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICK_MICROS = 10_000; // USER_HZ 100 on Linux

/** The 1, 5 and 15 minute load averages, from /proc/loadavg. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [one, five, fifteen];
}

export const CORES = cpus().length;

/**
 * CPU time core `core` has spent busy (anything but idle and I/O wait) since boot, in
 * microseconds, from /proc/stat. Compared with the relay's own CPU over the same window, it shows
 * how much of the relay's core other processes took (other engineers' tests on a shared machine).
 */
export function coreBusyMicros(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`cpu${core} `));
  if (line === undefined) return Number.NaN;
  // Fields: user nice system idle iowait irq softirq steal ...; idle and iowait are skipped.
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MICROS;
}

/** The load averages around a run: before it, after it, and the highest 1-minute one during it. */
export interface LoadDuringRun {
  before: [number, number, number];
  after: [number, number, number];
  peak1m: number;
  cores: number;
}

/** Starts watching the 1-minute load average (every 5 s); `stop()` returns what it saw. */
export function watchLoad(): { stop(): LoadDuringRun } {
  const before = loadAverage();
  let peak1m = before[0];
  const timer = setInterval(() => (peak1m = Math.max(peak1m, loadAverage()[0])), 5_000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const after = loadAverage();
      return { before, after, peak1m: Math.max(peak1m, after[0]), cores: CORES };
    },
  };
}
