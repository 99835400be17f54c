import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const CONF_PATH = join(process.cwd(), 'nginx', 'nginx.conf');

export interface RenderOptions {
  appPorts: number[];
  listenPort: number;
  dir: string;
  /** Text replacements applied after rendering, e.g. to make a deliberately buffering proxy. */
  edits?: [string, string][];
}

function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`nginx.conf no longer contains "${from}"`);
  return text.replace(from, to);
}

/**
 * Every directive the tests change in nginx/nginx.conf (the text each rendering replaces). All
 * other lines reach the tested nginx verbatim; `nginx.e2e-spec.ts` checks that.
 */
export const RENDERED_DIRECTIVES = [
  'server app:3000',
  'listen 80;',
  'pid /var/run/nginx.pid;',
  'error_log /dev/stderr warn;',
  'access_log /dev/stdout;',
] as const;

/** nginx/nginx.conf with loopback ports and temp paths; nothing else changes. */
export function renderNginxConf(options: RenderOptions): string {
  const [upstreamServer, listen, pid, errorLog, accessLog] = RENDERED_DIRECTIVES;
  let conf = readNginxConf();
  const servers = options.appPorts.map((port) => `server 127.0.0.1:${port}`).join(';\n    ');
  conf = replaceOnce(conf, upstreamServer, servers);
  conf = replaceOnce(conf, listen, `listen 127.0.0.1:${options.listenPort};`);
  conf = replaceOnce(conf, pid, `pid ${options.dir}/nginx.pid;`);
  conf = replaceOnce(conf, errorLog, `error_log ${options.dir}/error.log warn;`);
  conf = replaceOnce(
    conf,
    accessLog,
    `access_log off;\n  client_body_temp_path ${options.dir}/body;\n  proxy_temp_path ${options.dir}/proxy;`,
  );
  for (const [from, to] of options.edits ?? []) conf = replaceOnce(conf, from, to);
  return conf;
}

/** The real nginx/nginx.conf, as docker-compose.yml mounts it. */
export function readNginxConf(): string {
  return readFileSync(CONF_PATH, 'utf8');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningNginx {
  url: string;
  conf: string;
  stop(): Promise<void>;
}

/** Starts the real nginx in the foreground with a rendered config; fails loudly if it is missing. */
export async function startNginx(
  appPorts: number[],
  edits: [string, string][] = [],
): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-nginx-'));
  const listenPort = await freePort();
  const conf = renderNginxConf({ appPorts, listenPort, dir, edits });
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const check = spawnSync(NGINX_BIN, ['-t', '-q', '-p', dir, '-c', confPath], { encoding: 'utf8' });
  if (check.error || check.status !== 0) {
    throw new Error(
      `nginx -t failed (${check.error?.message ?? check.stderr}). Install nginx: apt-get install -y nginx`,
    );
  }
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', confPath, '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${listenPort}`;
  await waitUntilListening(url, child);
  return {
    url,
    conf,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

async function waitUntilListening(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}`);
    try {
      await fetch(`${url}/health/live`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('nginx did not start listening within 10 s');
}
