import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full, synchronous GC without starting node with --expose-gc (`npm test` runs plain jest):
 * the flag is set at run time, and a fresh context picks up the `gc` global it brings.
 */
export function obtainGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Used heap after full GCs (several, so objects freed by finalizers are gone too). */
export async function settledHeapBytes(gc: () => void): Promise<number> {
  for (let round = 0; round < 3; round++) {
    gc();
    // Let FinalizationRegistry callbacks and weak-ref clean-ups run between collections.
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

/** Referenced timers (setTimeout/setInterval) alive in this process. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
