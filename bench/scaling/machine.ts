import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { readSysctl } from './proc-probe';
import type { ScalingResults } from './scaling-results';

const SYSCTLS = [
  'fs.file-max',
  'fs.nr_open',
  'net.core.somaxconn',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_mem',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.netfilter.nf_conntrack_max',
];

function versionOf(command: string, args: string[]): string {
  try {
    // nginx prints its version on stderr.
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim()
      .split('\n')[0];
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return stderr ? stderr.trim().split('\n')[0] : 'unknown';
  }
}

export function describeMachine(): Omit<ScalingResults['machine'], 'loadAfter'> {
  return {
    cores: cpus().length,
    memoryBytes: totalmem(),
    loadBefore: loadavg().map((value) => Number(value.toFixed(2))),
    nginxVersion: versionOf('sh', ['-c', 'nginx -v 2>&1']),
    redisVersion: versionOf('redis-server', ['--version']),
    nofile: versionOf('sh', ['-c', 'echo "$(ulimit -Sn) soft / $(ulimit -Hn) hard"']),
    sysctl: Object.fromEntries(SYSCTLS.map((name) => [name, readSysctl(name.replace(/\./g, '/'))])),
  };
}
