import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { HEAP_PROBE_PREFIX, HEAP_PROBE_SIGNAL } from './heap-probe-protocol';

export interface RelaySpec {
  name: string;
  /** Stable id the harness and the report find a relay by; names are for people and change. */
  key: string;
  /** Script relative to the project root (or absolute). */
  script: string;
  env?: Record<string, string>;
  /** Set for relays that only stream on GET (NestJS @Sse). */
  method?: 'GET' | 'POST';
  /** The relay speaks this service's contract (cancel by id, attach). */
  gateway?: boolean;
  /** Fields every request body carries besides `query`, e.g. `{ pipeline: 'agent' }`. */
  bodyExtras?: Record<string, unknown>;
  /** The throughput scenario's prompt, when the relay needs a script of its own (the agent). */
  throughputPrompt?: string;
  /** What starts a counted token in the response body (default: any non-empty `"content"`). */
  tokenMark?: string;
  /** Which of the gateway's protocol views the requests go to (default: native). */
  view?: GatewayView;
  /** Options for node before the script, e.g. `--expose-gc` and the heap probe. */
  nodeArgs?: string[];
}

/** The gateway's protocol views (docs/PROTOCOL.md): each frames a token differently. */
export type GatewayView = 'native' | 'openai' | 'ui' | 'htmx';

/** What the heap probe (`heap-probe.ts`) reports after a forced GC. */
export interface HeapReport {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

export interface RunningRelay {
  spec: RelaySpec;
  pid: number;
  port: number;
  url: string;
  /** Forces a GC in the relay and reads its memory (only with the heap probe preloaded). */
  heap(): Promise<HeapReport>;
  stop(): Promise<void>;
}

export const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
/** The core every relay runs on (when taskset is there); the bench itself runs on core 0. */
export const RELAY_CORE = 1;

/** Node options that preload the heap probe, so `RunningRelay.heap()` works. */
export const HEAP_PROBE_ARGS = ['--expose-gc', '--require', resolve(__dirname, 'heap-probe.js')];

/** Pins this process (load generator and fake upstream) to core 0. */
export function pinSelfToCore0(): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', '0', String(process.pid)]);
}

/**
 * This process's environment without LangChain's and LangSmith's switches: a relay traces only
 * when its spec says so, never because the shell running the bench happened to export
 * LANGSMITH_TRACING (which would also silently turn the gateway's fast path off).
 */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(LANGSMITH|LANGCHAIN)_/.test(name)),
  );
}

/** Starts a relay on core 1 with a raised file limit; resolves once it listens. */
export async function startRelay(
  spec: RelaySpec,
  upstreamUrl: string,
  port: number,
): Promise<RunningRelay> {
  const script = resolve(process.cwd(), spec.script);
  const pin = hasTaskset ? `taskset -c ${RELAY_CORE} ` : '';
  const nodeArgs = (spec.nodeArgs ?? []).join(' ');
  const child: ChildProcess = spawn(
    'bash',
    ['-c', `ulimit -n $(ulimit -Hn) 2>/dev/null; exec ${pin}node ${nodeArgs} ${script}`],
    {
      env: {
        ...inheritedEnv(),
        PORT: String(port),
        UPSTREAM_URL: upstreamUrl,
        LOG_LEVEL: 'error',
        ...spec.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const actualPort = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`${spec.name} did not start: ${output}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on :?(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${spec.name} exited with ${code}: ${output}`)));
  });
  const heapWaiters: ((report: HeapReport) => void)[] = [];
  let probeOutput = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    probeOutput += chunk.toString();
    let newline = probeOutput.indexOf('\n');
    while (newline !== -1) {
      const line = probeOutput.slice(0, newline);
      probeOutput = probeOutput.slice(newline + 1);
      if (line.startsWith(HEAP_PROBE_PREFIX)) {
        heapWaiters.shift()?.(JSON.parse(line.slice(HEAP_PROBE_PREFIX.length)) as HeapReport);
      }
      newline = probeOutput.indexOf('\n');
    }
  });
  const pid = child.pid ?? 0;
  return {
    spec,
    pid,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    heap: () =>
      new Promise<HeapReport>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${spec.name}: no heap report (is the heap probe preloaded?)`)),
          30_000,
        );
        heapWaiters.push((report) => {
          clearTimeout(timer);
          resolve(report);
        });
        process.kill(pid, HEAP_PROBE_SIGNAL);
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
