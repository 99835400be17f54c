import { loadConfig } from './load-config';

describe('Redis configuration', () => {
  it('is absent by default: the log and the cancel bus stay in memory', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: ' ', REDIS_CLUSTER_NODES: '' }).redis).toBeUndefined();
  });

  it('reads one server from REDIS_URL, as before', () => {
    expect(loadConfig({ REDIS_URL: 'redis://cache:6380/2' }).redis).toEqual({
      mode: 'single',
      url: 'redis://cache:6380/2',
    });
  });

  it('reads a cluster from REDIS_CLUSTER_NODES', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }).redis,
    ).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
  });

  it('reads a cluster from a redis+cluster:// or rediss+cluster:// URL, with credentials', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(loadConfig({ REDIS_URL: 'rediss+cluster://gw:p%40ss@a:7000/' }).redis).toEqual({
      mode: 'cluster',
      nodes: [{ host: 'a', port: 7000 }],
      tls: true,
      username: 'gw',
      password: 'p@ss',
    });
    expect(loadConfig({ REDIS_URL: 'redis+cluster://:secret@a:7000' }).redis).toMatchObject({
      username: undefined,
      password: 'secret',
    });
  });

  it.each([
    [
      { REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'a:1' },
      /REDIS_CLUSTER_NODES and REDIS_URL are both set/,
    ],
    [{ REDIS_CLUSTER_NODES: 'a' }, /REDIS_CLUSTER_NODES must list nodes as host:port, got "a"/],
    [{ REDIS_CLUSTER_NODES: 'a:7000,,b:7001' }, /REDIS_CLUSTER_NODES has an empty node/],
    [{ REDIS_CLUSTER_NODES: 'a:0' }, /must list nodes as host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:70000' }, /must list nodes as host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis://a:7000' }, /must list nodes as host:port/],
    [{ REDIS_URL: 'redis+cluster://a:7000/1' }, /REDIS_URL must be redis\+cluster:\/\//],
    [{ REDIS_URL: 'redis+cluster://a:7000?x=1' }, /REDIS_URL must be redis\+cluster:\/\//],
    [{ REDIS_URL: 'redis+cluster://a' }, /REDIS_URL must list nodes as host:port/],
    [{ REDIS_URL: 'redis+cluster://u:%zz@a:7000' }, /badly escaped/],
    [{ REDIS_URL: 'http://a:7000' }, /REDIS_URL must use redis: or rediss:/],
  ])('refuses %j at boot with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
