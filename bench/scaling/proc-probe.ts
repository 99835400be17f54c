import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time a process has used so far, in microseconds: the scheduler's nanosecond run time summed
 * over its threads (/proc/<pid>/task/<tid>/schedstat). /proc/<pid>/stat counts 10 ms ticks, too
 * coarse for a Redis or nginx that spends a few µs per token.
 */
export function cpuMicros(pid: number): number {
  let nanos = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended while we looked.
    }
  }
  return nanos / 1000;
}

/** Open file descriptors of a process (sockets, pipes, files, epoll and event fds). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Memory only this process holds (private clean + dirty pages), in bytes. RSS would count the
 * pages nginx workers share with their master and each other once per worker.
 */
export function privateBytes(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  let kb = 0;
  for (const match of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) {
    kb += Number(match[1]);
  }
  return kb * 1024;
}

export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Direct children of a process (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * Kernel memory of TCP sockets, machine-wide: the `TCP` slab (one object per open socket) and the
 * `sock_inode_cache` slab (the inode behind each socket's descriptor), active objects × size.
 * Buffers of data in flight come on top; idle SSE sockets hold next to none.
 */
export function socketSlabs(): { tcpSockets: number; bytes: number } {
  const slabinfo = readFileSync('/proc/slabinfo', 'utf8');
  const slab = (name: string): { active: number; size: number } => {
    const fields = new RegExp(`^${name}\\s+(\\d+)\\s+\\d+\\s+(\\d+)`, 'm').exec(slabinfo);
    if (!fields) throw new Error(`/proc/slabinfo has no ${name} line`);
    return { active: Number(fields[1]), size: Number(fields[2]) };
  };
  const tcp = slab('TCP');
  const inode = slab('sock_inode_cache');
  return { tcpSockets: tcp.active, bytes: tcp.active * tcp.size + inode.active * inode.size };
}

/** Figures of a group of processes summed (nginx: all its workers). */
export interface ProcessFigures {
  fds: number;
  privateBytes: number;
  rssBytes: number;
  cpuMicros: number;
}

export function sampleProcesses(pids: number[]): ProcessFigures {
  const sum = (read: (pid: number) => number): number =>
    pids.reduce((total, pid) => total + read(pid), 0);
  return {
    fds: sum(fdCount),
    privateBytes: sum(privateBytes),
    rssBytes: sum(rssBytes),
    cpuMicros: sum(cpuMicros),
  };
}

export function readSysctl(path: string): string {
  try {
    return readFileSync(`/proc/sys/${path}`, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return 'absent';
  }
}
