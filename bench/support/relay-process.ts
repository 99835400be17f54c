import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface RelaySpec {
  name: string;
  /** Script relative to the project root. */
  script: string;
  env?: Record<string, string>;
  /** Set for relays that only stream on GET (NestJS @Sse). */
  method?: 'GET' | 'POST';
  /** The relay speaks this service's contract (cancel by id, attach). */
  gateway?: boolean;
}

export interface RunningRelay {
  spec: RelaySpec;
  pid: number;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

/** Pins this process (load generator and fake upstream) to core 0. */
export function pinSelfToCore0(): void {
  if (hasTaskset) spawnSync('taskset', ['-cp', '0', String(process.pid)]);
}

/** Starts a relay on core 1 with a raised file limit; resolves once it listens. */
export async function startRelay(
  spec: RelaySpec,
  upstreamUrl: string,
  port: number,
): Promise<RunningRelay> {
  const script = join(process.cwd(), spec.script);
  const pin = hasTaskset ? 'taskset -c 1 ' : '';
  const child: ChildProcess = spawn(
    'bash',
    ['-c', `ulimit -n $(ulimit -Hn) 2>/dev/null; exec ${pin}node ${script}`],
    {
      env: {
        ...process.env,
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
  return {
    spec,
    pid: child.pid ?? 0,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
