import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuMicros } from './proc-cpu';

const POLL_MS = 250;
/** One 10 ms clock tick per poll (4 %) is the noise floor of an idle Node process. */
const IDLE_MICROS_PER_POLL = 10_000;

/**
 * Waits until process `pid` uses at most one clock tick of CPU per 250 ms, or `maxMs` passed:
 * the point where the work a load caused (a tracer's uploads, garbage collection) is done.
 * Resolves with how long that took.
 */
export async function waitUntilIdle(pid: number, maxMs = 15_000): Promise<number> {
  const started = performance.now();
  let last = processCpuMicros(pid);
  while (performance.now() - started < maxMs) {
    await sleep(POLL_MS);
    const now = processCpuMicros(pid);
    if (now - last <= IDLE_MICROS_PER_POLL) break;
    last = now;
  }
  return performance.now() - started;
}
