import { connect } from 'node:net';

/** The Redis figures the sizing doc needs, read with `INFO everything`. */
export interface RedisSnapshot {
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  usedMemory: number;
  /** Calls per command name (`INFO commandstats`). */
  calls: Record<string, number>;
}

/** Sends one inline command and reads its bulk-string answer (RESP `$<len>\r\n<data>\r\n`). */
function bulkCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headerEnd = received.indexOf('\r\n');
      if (headerEnd === -1) return;
      const header = received.subarray(0, headerEnd).toString();
      if (!header.startsWith('$')) {
        socket.destroy();
        reject(new Error(`redis answered ${header} to ${command}`));
        return;
      }
      const length = Number(header.slice(1));
      if (received.length < headerEnd + 2 + length) return;
      socket.destroy();
      resolve(received.subarray(headerEnd + 2, headerEnd + 2 + length).toString());
    });
    socket.on('error', reject);
  });
}

export async function redisSnapshot(url: string): Promise<RedisSnapshot> {
  const text = await bulkCommand(Number(new URL(url).port), 'INFO everything');
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const calls: Record<string, number> = {};
  for (const [name, value] of fields) {
    // cmdstat_xadd:calls=12,usec=…
    const match = /^cmdstat_(.+)$/.exec(name);
    const count = /(?:^|,)calls=(\d+)/.exec(value);
    if (match && count) calls[match[1]] = Number(count[1]);
  }
  const number = (name: string): number => Number(fields.get(name) ?? Number.NaN);
  return {
    totalCommands: number('total_commands_processed'),
    netInputBytes: number('total_net_input_bytes'),
    netOutputBytes: number('total_net_output_bytes'),
    usedMemory: number('used_memory'),
    calls,
  };
}

/** What Redis did for one measured load, per token and per stream. */
export interface RedisCost {
  streams: number;
  /** Absent when the load was measured mid-stream (running streams). */
  tokens?: number;
  commands: number;
  commandsPerToken?: number;
  commandsPerStream: number;
  netInputBytesPerToken?: number;
  netInputBytesPerStream: number;
  netOutputBytesPerStream: number;
  /** used_memory after minus before, per stream: streams finished by then are kept for STREAM_TTL_S. */
  memoryBytesPerStream: number;
  /** Calls per stream of each command the load used. */
  callsPerStream: Record<string, number>;
}

export function redisCost(
  before: RedisSnapshot,
  after: RedisSnapshot,
  streams: number,
  tokens?: number,
): RedisCost {
  const r = (value: number, digits = 2): number => Number(value.toFixed(digits));
  // The INFO that took `after` counts itself: one command not caused by the load.
  const commands = after.totalCommands - before.totalCommands - 1;
  const callsPerStream: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.calls)) {
    const delta = calls - (before.calls[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (delta > 0) callsPerStream[name] = r(delta / streams);
  }
  const input = after.netInputBytes - before.netInputBytes;
  return {
    streams,
    tokens,
    commands,
    commandsPerToken: tokens ? r(commands / tokens, 3) : undefined,
    commandsPerStream: r(commands / streams),
    netInputBytesPerToken: tokens ? r(input / tokens, 1) : undefined,
    netInputBytesPerStream: r(input / streams, 1),
    netOutputBytesPerStream: r((after.netOutputBytes - before.netOutputBytes) / streams, 1),
    memoryBytesPerStream: r((after.usedMemory - before.usedMemory) / streams, 0),
    callsPerStream,
  };
}
