import { ConfigError } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads an optional string; blank means unset so `FOO=` in a compose file behaves like no FOO. */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function readInt(
  env: Env,
  name: string,
  options: { fallback: number; min: number; max?: number },
): number {
  const raw = readString(env, name);
  if (raw === undefined) return options.fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (value < options.min || value > max) {
    throw new ConfigError(name, `must be between ${options.min} and ${max}, got ${value}`);
  }
  return value;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

export function readList(env: Env, name: string): string[] {
  const raw = readString(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function readChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const match = choices.find((choice) => choice === raw);
  if (match === undefined) {
    throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return match;
}

export function readUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be an absolute URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${url.protocol}`);
  }
  return raw;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses sizes the way Express and nginx users write them: `1mb`, `512kb`, `1048576`. */
export function readByteSize(
  env: Env,
  name: string,
  fallback: number,
  range: { max: number } = { max: 64 * 1024 ** 2 },
): number {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/.exec(raw);
  if (!match) throw new ConfigError(name, `must be a size such as 1mb or 65536, got "${raw}"`);
  const bytes = Number(match[1]) * SIZE_UNITS[match[2] ?? ''];
  if (bytes < 1024 || bytes > range.max) {
    throw new ConfigError(name, `must be between 1kb and ${formatSize(range.max)}`);
  }
  return bytes;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3}gb` : `${bytes / 1024 ** 2}mb`;
}
