import type { Cluster } from 'ioredis';

const PROBE_EVERY_MS = 1_000;
/** A master that does not answer within this is counted as down (a hung node, a lost link). */
const PROBE_TIMEOUT_MS = 1_000;
/** Redis Cluster's hash slots; each must have a master for every stream to be writable. */
const SLOTS = 16_384;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('probe timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Readiness of a Redis Cluster: asks every master of the slot map `CLUSTER INFO` once a second.
 * Healthy when every slot has a master and all answer `cluster_state:ok`. The client's own
 * status says only that some node answers; a stream whose slot sits on a master that is down
 * cannot be written, so the instance is not ready.
 */
export class ClusterHealth {
  healthy = false;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;

  constructor(private readonly cluster: Cluster) {}

  /** Starts probing; resolves after the first probe. */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
      this.timer.unref();
    }
    return this.probe();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private probe(): Promise<void> {
    this.probing ??= this.check()
      .then((healthy) => {
        this.healthy = healthy;
      })
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async check(): Promise<boolean> {
    if (this.cluster.status !== 'ready') return false;
    // The masters the slot map names, not the connections the client holds now: a master whose
    // connection just died drops out of `nodes()` until the next slot refresh re-adds it.
    const owners = new Set<string>();
    for (let slot = 0; slot < SLOTS; slot++) {
      const owner = this.cluster.slots[slot]?.[0];
      if (owner === undefined) return false;
      owners.add(owner);
    }
    const connected = new Map(
      this.cluster
        .nodes('master')
        .map((node) => [`${node.options.host}:${node.options.port}`, node]),
    );
    const answers = await Promise.allSettled(
      [...owners].map((owner) => {
        const node = connected.get(owner);
        if (!node) return Promise.reject(new Error(`no connection to ${owner}`));
        return withTimeout(node.call('CLUSTER', 'INFO'), PROBE_TIMEOUT_MS);
      }),
    );
    return answers.every(
      (answer) =>
        answer.status === 'fulfilled' && String(answer.value).includes('cluster_state:ok'),
    );
  }
}
