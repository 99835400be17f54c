/**
 * Preloaded into a relay (`node --expose-gc --require heap-probe.js`): on SIGUSR2 it forces a
 * full GC and prints the relay's memory on stdout, where the harness reads it. Heap after a GC is
 * what the relay really holds; RSS also keeps pages the allocator has not given back yet.
 */
import { HEAP_PROBE_PREFIX, HEAP_PROBE_SIGNAL } from './heap-probe-protocol';

const collect = (globalThis as { gc?: () => void }).gc;

process.on(HEAP_PROBE_SIGNAL, () => {
  if (!collect) throw new Error('heap probe: run node with --expose-gc');
  // Twice: objects with finalizers (sockets, weak refs) are only freed by the second pass.
  collect();
  collect();
  const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
  process.stdout.write(
    `${HEAP_PROBE_PREFIX}${JSON.stringify({ heapUsed, external, arrayBuffers, rss })}\n`,
  );
});
