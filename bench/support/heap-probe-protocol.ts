/** How the harness asks a relay for its memory, and how the relay's answer is recognised. */
export const HEAP_PROBE_SIGNAL = 'SIGUSR2';
export const HEAP_PROBE_PREFIX = 'heap-probe ';
