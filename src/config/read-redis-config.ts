import type { RedisConfig, RedisNodeAddress } from './app-config';
import { ConfigError } from './config-error';
import { type Env, readString, readUrl } from './env-readers';

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i;

/** `host:port` or `[v6 address]:port`; the port is required (cluster nodes rarely share one). */
function parseNode(variable: string, text: string): RedisNodeAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(variable, `must list nodes as host:port, got "${text}"`);
  }
  return { host: match[1] ?? match[2], port };
}

function parseNodes(variable: string, list: string): RedisNodeAddress[] {
  const items = list.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new ConfigError(variable, `has an empty node in "${list}"`);
  }
  return items.map((item) => parseNode(variable, item));
}

function decode(variable: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError(variable, 'has a badly escaped user name or password');
  }
}

/** `redis+cluster://[user:password@]host:port[,host:port…]`, or `rediss+cluster://` for TLS. */
function parseClusterUrl(raw: string): RedisConfig {
  const match = CLUSTER_URL.exec(raw);
  if (!match) {
    throw new ConfigError(
      'REDIS_URL',
      'must be redis+cluster://[user:password@]host:port[,host:port…] with no path or query (a cluster has one database)',
    );
  }
  const [, scheme, credentials, hosts] = match;
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const user = colon === -1 ? credentials : credentials.slice(0, colon);
    username = user ? decode('REDIS_URL', user) : undefined;
    password = colon === -1 ? undefined : decode('REDIS_URL', credentials.slice(colon + 1));
  }
  return {
    mode: 'cluster',
    nodes: parseNodes('REDIS_URL', hosts),
    tls: scheme.toLowerCase() === 'rediss',
    username,
    password,
  };
}

/**
 * REDIS_URL (one server, or a cluster with `redis+cluster://`) or REDIS_CLUSTER_NODES (a cluster
 * without TLS or a password; use the URL form for those). Setting both is refused rather than
 * guessing which one was meant.
 */
export function readRedisConfig(env: Env): RedisConfig | undefined {
  const url = readString(env, 'REDIS_URL');
  const nodes = readString(env, 'REDIS_CLUSTER_NODES');
  if (url !== undefined && nodes !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'and REDIS_URL are both set; set only one');
  }
  if (nodes !== undefined) {
    return { mode: 'cluster', nodes: parseNodes('REDIS_CLUSTER_NODES', nodes), tls: false };
  }
  if (url === undefined) return undefined;
  if (/^rediss?\+cluster:/i.test(url)) return parseClusterUrl(url);
  const single = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:']);
  return single === undefined ? undefined : { mode: 'single', url: single };
}
