import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { hasTaskset } from './relay-process';

export interface UpstreamProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts `upstream-child.js` on core 0 with the hard file limit; resolves with its URL. */
export async function startUpstreamProcess(
  tokens: number,
  gapMs: number,
): Promise<UpstreamProcess> {
  const script = resolve(__dirname, 'upstream-child.js');
  const pin = hasTaskset ? 'taskset -c 0 ' : '';
  const child = spawn(
    'bash',
    ['-c', `ulimit -n $(ulimit -Hn) 2>/dev/null; exec ${pin}node ${script} ${tokens} ${gapMs}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((done, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`fake upstream did not start: ${output}`)),
      20_000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /upstream at (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`fake upstream exited with ${code}: ${output}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
