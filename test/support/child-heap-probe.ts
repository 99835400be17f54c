import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppProcess } from './app-process';

const GC_DONE = 'heap-probe: gc done';

/**
 * Preloaded into a child app: on SIGUSR2 it runs full GCs and says so on stdout. Without a GC,
 * `nodejs_heap_size_used_bytes` also counts garbage, which can be hundreds of MB after a burst.
 * `--expose-gc` is set at run time, so the app itself starts exactly as in production.
 */
const PRELOAD = `
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  setImmediate(() => {
    gc();
    process.stdout.write('${GC_DONE}\\n');
  });
});
`;

/** NODE_OPTIONS that make `measureChildMemory` possible in a child started with it. */
export function gcOnSignalNodeOptions(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sg-heap-probe-')), 'gc-on-signal.cjs');
  writeFileSync(file, PRELOAD);
  return `--require ${file}`;
}

export interface ChildMemory {
  heapUsedBytes: number;
  residentBytes: number;
}

function metric(text: string, name: string): number {
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line[1]);
}

/** Heap (after full GCs) and RSS of a child app, as its own /metrics reports them. */
export async function measureChildMemory(app: AppProcess): Promise<ChildMemory> {
  const stdout = app.child.stdout;
  if (!stdout) throw new Error('the child app has no stdout pipe');
  let seen = '';
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (!seen.includes(GC_DONE)) return;
      stdout.off('data', onData);
      resolve();
    };
    stdout.on('data', onData);
  });
  const probe = new AbortController();
  const exited = once(app.child, 'exit', { signal: probe.signal }).then(
    () => {
      throw new Error('the child app exited instead of collecting garbage');
    },
    () => undefined, // the probe finished first
  );
  app.child.kill('SIGUSR2');
  try {
    await Promise.race([done, exited]);
  } finally {
    probe.abort();
  }
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return {
    heapUsedBytes: metric(text, 'nodejs_heap_size_used_bytes'),
    residentBytes: metric(text, 'process_resident_memory_bytes'),
  };
}
